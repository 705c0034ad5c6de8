import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that appears at its path only when complete, so that a crash, a kill or a full disk
/// never leaves a half-written one: every file Attend writes (checkpoints, alignments) goes
/// through it.
///
/// The bytes go to `NAME.tmp-<pid>-<random>` beside the target (appended in pieces, or all at
/// once with `write(_:to:)`), are flushed to the disk (`fsync`), and the temporary file is
/// renamed over the target. POSIX `rename` within one directory is atomic: a reader sees the
/// old file or the new one, never a mixture. Then the directory is synced, where the file
/// system allows it, so that the rename itself survives a power loss. On any failure, and for
/// a file dropped without `commit()`, the temporary file is removed and the target is untouched.
/// A temporary file left by a killed process is never read as the target.
public final class AtomicFile {
    /// Where the file will appear.
    public let url: URL
    private let temporary: String
    private var descriptor: Int32?
    private var buffer: [UInt8] = []
    private static let flushThreshold = 1 << 16

    /// Opens the temporary file beside `url` (the folder must exist).
    /// - Throws: `AtomicFileError` naming the file, the failed step and the system's reason.
    public init(_ url: URL) throws {
        self.url = url
        temporary = url.path + ".tmp-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let opened = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard opened >= 0 else { throw AtomicFileError(file: url.relativePath, step: "create \(temporary)", code: errno) }
        descriptor = opened
    }

    deinit { discard() }

    /// Replaces the contents of `url` with `data`, atomically.
    /// - Throws: `AtomicFileError` naming the file, the failed step and the system's reason.
    public static func write(_ data: Data, to url: URL) throws {
        let file = try AtomicFile(url)
        try file.append(data)
        try file.commit()
    }

    /// Appends `bytes` (written out in large pieces).
    public func append(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Appends `text` as UTF-8.
    public func append(_ text: String) throws { try append(text.utf8) }

    /// Writes what is buffered, syncs it, and renames the file over `url`; then syncs the folder.
    public func commit() throws {
        guard let fd = descriptor else { return }
        do {
            try flush()
            guard fsync(fd) == 0 else { throw failure("flush to disk") }
            close(fd)
            descriptor = nil
            guard rename(temporary, url.path) == 0 else { throw failure("rename \(temporary) over it") }
        } catch {
            discard()
            unlink(temporary)
            throw error
        }
        // Persist the directory entry. Some file systems refuse to sync a directory; the file's
        // contents are already safe then, so that refusal is not an error.
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    /// Closes and removes the temporary file; `url` is left as it was.
    public func discard() {
        guard let fd = descriptor else { return }
        close(fd)
        descriptor = nil
        unlink(temporary)
    }

    private func flush() throws {
        guard let fd = descriptor, !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count, let base = bytes.baseAddress {
                let result = systemWrite(fd, base + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw failure("write")
                }
                written += result
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    private func failure(_ step: String) -> AtomicFileError {
        AtomicFileError(file: url.relativePath, step: step, code: errno)
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

    /// The system's words for `code`: "No such file or directory".
    public var reason: String { String(cString: strerror(code)) }

    public var description: String { "cannot write \(file): \(step) failed: \(reason)" }

    public var errorDescription: String? { description }
}
