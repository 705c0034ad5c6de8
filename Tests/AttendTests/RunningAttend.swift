import Foundation

/// An `attend` process left running, so that a test can signal it, race it or kill it.
final class RunningAttend: @unchecked Sendable {
    let process = Process()
    private let errors = Pipe()
    private var errorData = Data()
    private let lock = NSLock()
    private let drained = DispatchSemaphore(value: 0)

    /// Starts `attend arguments…` in `directory`; with `shellPrefix`, through `/bin/sh -c
    /// "PREFIX; exec attend …"` (to set limits such as `ulimit -f`).
    init(_ arguments: [String], in directory: URL, shellPrefix: String? = nil) throws {
        if let shellPrefix {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            let quoted = ([AttendProcess.binary.path] + arguments).map { "'" + $0 + "'" }.joined(separator: " ")
            process.arguments = ["-c", "\(shellPrefix); exec \(quoted)"]
        } else {
            process.executableURL = AttendProcess.binary
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        DispatchQueue.global().async {
            while true {
                let chunk = self.errors.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                self.lock.withLock { self.errorData.append(chunk) }
            }
            self.drained.signal()
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// What the process has written to stderr so far.
    var stderrSoFar: String { lock.withLock { String(decoding: errorData, as: UTF8.self) } }

    func send(_ signal: Int32) { kill(pid, signal) }

    /// Waits up to `timeout` seconds for `condition`, polling; returns whether it held.
    @discardableResult
    static func wait(timeout: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    /// Waits for the process to end (killing it after `timeout` seconds): its exit status (or
    /// the number of the signal that ended it) and its stderr.
    func finish(timeout: Double = 120) -> (status: Int32, signalled: Bool, stderr: String) {
        if !Self.wait(timeout: timeout, until: { !process.isRunning }) { send(SIGKILL) }
        process.waitUntilExit()
        drained.wait()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal, stderrSoFar)
    }
}

/// The training step a checkpoint records, read from its safetensors header (8 bytes of
/// length, then JSON whose `__metadata__` holds `attend.training_state`).
func checkpointStep(_ url: URL) -> Int? {
    guard let data = FileManager.default.contents(atPath: url.path), data.count > 8 else { return nil }
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    guard data.count >= 8 + length,
          let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<8 + length)) as? [String: Any],
          let state = (header["__metadata__"] as? [String: String])?["attend.training_state"],
          let fields = try? JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any] else { return nil }
    return fields["step"] as? Int
}

/// The rows of a CSV file after its header.
func dataRows(_ url: URL) -> [String] {
    (try? String(contentsOf: url, encoding: .utf8))?.split(separator: "\n").dropFirst().map(String.init) ?? []
}
