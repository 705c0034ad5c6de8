import Foundation

/// A text file written in pieces that appears at its path only when complete: the text goes to
/// a hidden temporary file beside it, which ``commit()`` renames over the path (an atomic
/// replace on POSIX file systems). A file that is never committed is removed, so a failed or
/// interrupted run never leaves a half-written file where the user expects a result.
final class AtomicTextFile {
    /// Where the file will appear.
    let path: String
    private let temporaryPath: String
    private var handle: FileHandle?
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 16

    /// Creates the missing parent folders and opens the temporary file.
    ///
    /// - Throws: ``AlignmentOutputError`` when `path` is a folder or cannot be written.
    init(path: String) throws {
        self.path = path
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw AlignmentOutputError.isAFolder(path: path)
        }
        let url = URL(fileURLWithPath: path)
        let parent = url.deletingLastPathComponent().path
        try FolderCreation.createFolder(atPath: parent)
        temporaryPath = parent + "/." + url.lastPathComponent + ".partial-\(getpid())-\(UInt32.random(in: .min ... .max))"
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o666)
        guard descriptor >= 0 else {
            throw AlignmentOutputError.cannotWrite(path: path, reason: FolderCreation.reason(forErrno: errno))
        }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    deinit { discard() }

    /// Appends `text` (UTF-8).
    func append(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Writes what is buffered, closes the file and moves it to ``path``.
    func commit() throws {
        guard handle != nil else { return }
        do {
            try flush()
            try handle?.close()
            handle = nil
        } catch let error as AlignmentOutputError {
            discard()
            throw error
        } catch {
            discard()
            throw AlignmentOutputError.cannotWrite(path: path, reason: FolderCreation.reason(for: error))
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = FolderCreation.reason(forErrno: errno)
            unlink(temporaryPath)
            throw AlignmentOutputError.cannotWrite(path: path, reason: reason)
        }
    }

    /// Closes and removes the temporary file; ``path`` is left as it was.
    func discard() {
        guard let open = handle else { return }
        try? open.close()
        handle = nil
        unlink(temporaryPath)
    }

    private func flush() throws {
        guard let handle, !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw AlignmentOutputError.cannotWrite(path: path, reason: FolderCreation.reason(for: error))
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
