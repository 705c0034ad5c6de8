import Foundation

/// Runs the built `attend` binary, as a user's shell would.
enum AttendProcess {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// The `attend` executable beside the test bundle, wherever the scratch path and
    /// configuration put it (on Linux `Bundle.main` is the test runner's directory).
    static let binary: URL = {
        var candidates = [Bundle.main.bundleURL]
        candidates += Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            let url = directory.appendingPathComponent("attend")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return Bundle.main.bundleURL.appendingPathComponent("attend")
    }()

    /// Writing to a command that exited before reading its input raises SIGPIPE, whose default
    /// action would kill the whole test process; ignored, the write fails with EPIPE instead.
    private static let ignoringBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Runs `attend arguments…` in `directory`, feeding `input` on stdin; stderr is drained on
    /// another thread so a chatty run cannot fill its pipe and stall. `environment` adds to (or
    /// overrides) the test's own environment.
    static func run(_ arguments: [String], input: String? = nil, in directory: URL? = nil,
                    environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe(), errors = Pipe(), inputPipe = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = inputPipe
        try process.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let stderrData = Box()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            stderrData.data = errors.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }
        _ = ignoringBrokenPipes
        // A command that fails before reading stdin closes it; what it did not read is dropped.
        if let input { try? inputPipe.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
        try inputPipe.fileHandleForWriting.close()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        drained.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderrData.data, as: UTF8.self))
    }
}
