import Foundation

/// `mkdir -p` with the operating system's reason when it fails.
///
/// Foundation's `createDirectory` reports some failures (a file in the way, for one) only as
/// "NSCocoaErrorDomain error 512"; calling `mkdir(2)` ourselves keeps the `errno`, so the user
/// reads "Not a directory" or "Permission denied".
enum FolderCreation {
    /// Creates `path` and any missing parents; does nothing when it is already a folder.
    ///
    /// - Throws: ``AlignmentOutputError/cannotCreateFolder(path:reason:)`` naming `path`.
    static func createFolder(atPath path: String) throws {
        if let code = makeFolders(path) {
            throw AlignmentOutputError.cannotCreateFolder(path: path, reason: reason(forErrno: code))
        }
    }

    /// The `errno` of the first `mkdir` that failed, or `nil` when `path` is now a folder.
    private static func makeFolders(_ path: String) -> Int32? {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            return isFolder.boolValue ? nil : ENOTDIR
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, let code = makeFolders(parent) { return code }
        guard mkdir(path, 0o777) == 0 else {
            let code = errno
            // Someone else (another writer) may have made it in the meantime.
            return code == EEXIST && FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
                && isFolder.boolValue ? nil : code
        }
        return nil
    }

    /// The operating system's words for an error, such as "Permission denied".
    static func reason(for error: Error) -> String {
        let error = error as NSError
        if error.domain == NSPOSIXErrorDomain { return reason(forErrno: Int32(error.code)) }
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return reason(forErrno: Int32(underlying.code))
        }
        return error.localizedDescription
    }

    /// `strerror(code)`: "No such file or directory", …
    static func reason(forErrno code: Int32) -> String {
        String(cString: strerror(code))
    }
}
