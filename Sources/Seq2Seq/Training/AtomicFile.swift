import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a crash, a kill or a full disk never leaves a half-written one.
///
/// The bytes go to `NAME.tmp-<pid>` beside the target, are flushed to the disk (`fsync`), and the
/// temporary file is renamed over the target. POSIX `rename` within one directory is atomic: a
/// reader sees the old file or the new one, never a mixture. Then the directory is synced, where
/// the file system allows it, so that the rename itself survives a power loss. On any failure the
/// temporary file is removed and the target is untouched.
///
/// One writer per target at a time: two threads of one process writing the same target would
/// share the temporary name. A temporary file left by a killed process is never read as the target.
public enum AtomicFile {
    /// Replaces the contents of `url` with `data`, atomically.
    ///
    /// - Throws: `AtomicFileError` naming the file, the failed step and the system's reason.
    public static func write(_ data: Data, to url: URL) throws {
        let target = url.path
        let temporary = target + ".tmp-\(getpid())"
        let shownName = url.relativePath

        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AtomicFileError(file: shownName, step: "create \(temporary)", code: errno)
        }
        var keepTemporary = false
        defer { if !keepTemporary { unlink(temporary) } }

        do {
            defer { close(descriptor) }
            try data.withUnsafeBytes { bytes in
                var written = 0
                while written < bytes.count, let base = bytes.baseAddress {
                    let result = systemWrite(descriptor, base + written, bytes.count - written)
                    if result < 0 {
                        if errno == EINTR { continue }
                        throw AtomicFileError(file: shownName, step: "write", code: errno)
                    }
                    written += result
                }
            }
            guard fsync(descriptor) == 0 else {
                throw AtomicFileError(file: shownName, step: "flush to disk", code: errno)
            }
        }
        guard rename(temporary, target) == 0 else {
            throw AtomicFileError(file: shownName, step: "rename \(temporary) over it", code: errno)
        }
        keepTemporary = true  // it now is the target

        // Persist the directory entry. Some file systems refuse to sync a directory; the file's
        // contents are already safe then, so that refusal is not an error.
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }
}

/// POSIX `write(2)`; a file-scope name, because inside `AtomicFile` `write` means its own method.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

/// A failed atomic write: which file, which step, and the system's reason.
public struct AtomicFileError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public var file: String
    /// What was being done: `create …`, `write`, `flush to disk`, `rename … over it`.
    public var step: String
    /// The `errno` value.
    public var code: Int32

    public init(file: String, step: String, code: Int32) {
        self.file = file
        self.step = step
        self.code = code
    }

    public var description: String {
        "cannot write \(file): \(step) failed: \(String(cString: strerror(code)))"
    }

    public var errorDescription: String? { description }
}
