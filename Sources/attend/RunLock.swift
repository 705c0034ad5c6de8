import Foundation
import Seq2Seq
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a run folder, so that two `attend train` never write one run at once.
///
/// `flock` on `RUN/train.lock`, which holds the owner's process id: the kernel releases the lock
/// when the process ends, however it ends (even `kill -9`), so a dead run never leaves its
/// folder locked. The file itself stays; only the lock matters.
final class RunLock {
    static let fileName = "train.lock"
    private let descriptor: Int32

    /// Locks `folder` (creating it), or fails naming the process that holds it.
    init(_ folder: URL) throws {
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw CommandError.failure("cannot create the run folder \(folder.path): \(error.localizedDescription)")
        }
        let path = folder.appendingPathComponent(Self.fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandError.failure("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let owner = Self.owner(fd)
            close(fd)
            throw CommandError.failure("\(folder.relativePath) is in use by another attend train\(owner.map { " (process \($0))" } ?? ""); "
                                       + "wait for it to finish, or stop it first")
        }
        descriptor = fd
        let pid = Data("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Fails if another process holds `folder`'s lock; takes no lock itself.
    static func checkFree(_ folder: String) throws {
        let path = (folder as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return }
        _ = try RunLock(URL(fileURLWithPath: folder))  // released again as it goes out of scope
    }

    /// Whether a process holds `folder`'s lock now (a run in progress).
    static func isHeld(_ folder: URL) -> Bool {
        let fd = open(folder.appendingPathComponent(fileName).path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return true }
        flock(fd, LOCK_UN)
        return false
    }

    deinit { close(descriptor) }

    /// The process id the lock file names, if it names one.
    private static func owner(_ fd: Int32) -> Int? {
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &bytes, bytes.count, 0)
        guard count > 0 else { return nil }
        return Int(String(decoding: bytes[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Removes the temporary files (`*.tmp-PID-…`) a killed process left in `folder` and its
    /// `probes/`; with the lock held they belong to no running writer. Returns how many.
    func removeStaleTemporaries(in folder: URL) -> Int {
        let manager = FileManager.default
        var removed = 0
        for directory in [folder, folder.appendingPathComponent(ValidationRecorder.probeFolderName)] {
            for name in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? [] where name.contains(".tmp-") {
                if (try? manager.removeItem(at: directory.appendingPathComponent(name))) != nil { removed += 1 }
            }
        }
        return removed
    }
}

/// The line `train` prints when a run fails: what went wrong and, when the failure was saving
/// (a full disk, a read-only folder), that the checkpoints already there are intact.
func failureMessage(_ error: Error, folder: URL) -> String {
    guard error is AtomicFileError else { return "\(error)" }
    return "\(error); the checkpoints already in \(folder.relativePath) are intact and no temporary file was left: "
        + "make room (or make the folder writable) and continue with: attend train --resume \(folder.relativePath)"
}
