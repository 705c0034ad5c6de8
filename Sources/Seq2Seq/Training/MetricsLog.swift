import Foundation

/// The run folder's CSV logs: `metrics.csv` (one row per step) and `validation.csv`.
struct MetricsLog {
    private let steps: FileHandle
    private let validations: FileHandle

    init(folder: URL, appending: Bool) throws {
        steps = try Self.open(folder.appendingPathComponent("metrics.csv"), header: "step,epoch,loss,target_tokens,learning_rate,elapsed_s", appending: appending)
        validations = try Self.open(folder.appendingPathComponent("validation.csv"), header: "step,epoch,loss,perplexity,bleu,exact_match", appending: appending)
    }

    private static func open(_ url: URL, header: String, appending: Bool) throws -> FileHandle {
        if !appending || !FileManager.default.fileExists(atPath: url.path) {
            try Data((header + "\n").utf8).write(to: url)
        }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        return handle
    }

    func step(_ step: Int, epoch: Int, loss: Float, tokens: Int, learningRate: Float, elapsed: Double) throws {
        try write(steps, "metrics.csv", String(format: "%d,%d,%.6f,%d,%.6g,%.3f\n", step, epoch, loss, tokens, learningRate, elapsed))
    }

    func validation(_ step: Int, epoch: Int, _ result: ValidationResult) throws {
        try write(validations, "validation.csv", String(format: "%d,%d,%.6f,%.4f,%.2f,%.2f\n", step, epoch, result.loss,
                                                         result.perplexity, result.bleu, result.exactMatch))
    }

    /// A row, or an error naming the file and the system's reason (a full disk, say).
    private func write(_ handle: FileHandle, _ name: String, _ row: String) throws {
        do { try handle.write(contentsOf: Data(row.utf8)) } catch {
            throw AtomicFileError(file: name, step: "append", code: posixCode(of: error))
        }
    }
}
