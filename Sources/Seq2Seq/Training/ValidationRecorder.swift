import Foundation

/// A sentence pair whose attention is recorded: its words (without `</s>`) and their ids.
public struct ProbePair: Sendable {
    public var source: [String]
    public var target: [String]
    public var sourceIds: [Int]
    public var targetIds: [Int]

    public init(source: [String], target: [String], sourceIds: [Int], targetIds: [Int]) {
        (self.source, self.target, self.sourceIds, self.targetIds) = (source, target, sourceIds, targetIds)
    }
}

/// One validation's probe attention, as `probes/step-NNNNNNN.json` holds it.
public struct ProbeRecord: Codable, Sendable {
    public var step: Int
    public var epoch: Int
    public var probes: [ProbeAttention]
}

/// A probe's forced-decoding attention: `weights` is `[T + 1][S + 1]`, a row per target word
/// and `</s>`, a column per source word and `</s>` (the tokens include the `</s>`).
public struct ProbeAttention: Codable, Sendable {
    public var source: [String]
    public var target: [String]
    public var weights: [[Float]]
}

/// What `attend report` draws besides the CSV logs, written at every validation: the probes'
/// attention (`probes/step-NNNNNNN.json`, atomically) and, when the dev set has gold
/// alignments, its alignment error rate (a row of `alignment.csv`: step, AER, precision, recall).
public final class ValidationRecorder {
    public static let probeFolderName = "probes"
    public static let alignmentFileName = "alignment.csv"
    public static let alignmentHeader = "step,aer,precision,recall"

    let runFolder: URL
    let probes: [ProbePair]
    let aligned: [ProbePair]
    let sure: [Set<AlignmentLink>]
    let possible: [Set<AlignmentLink>]?

    /// - Parameters:
    ///   - probes: the pairs whose attention is kept.
    ///   - alignedDev: dev pairs with gold sure (and possible) links, one set per pair, for AER.
    public init(runFolder: URL, probes: [ProbePair],
                alignedDev: (pairs: [ProbePair], sure: [Set<AlignmentLink>], possible: [Set<AlignmentLink>]?)? = nil) {
        self.runFolder = runFolder
        self.probes = probes
        aligned = alignedDev?.pairs ?? []
        sure = alignedDev?.sure ?? []
        possible = alignedDev?.possible
    }

    /// The file name of step `step`'s probes, which sort in step order.
    public static func probeFileName(step: Int) -> String { String(format: "step-%07d.json", step) }

    /// Records the model's attention after step `step`; a model without attention records nothing.
    func record(step: Int, epoch: Int, model: any Seq2SeqModel) throws {
        guard model.hasAttention else { return }
        if !probes.isEmpty {
            let matrices = Self.attention(of: probes, model: model)
            let record = ProbeRecord(step: step, epoch: epoch, probes: zip(probes, matrices).map { pair, rows in
                ProbeAttention(source: pair.source + ["</s>"], target: pair.target + ["</s>"],
                               weights: rows.map { $0.map { ($0 * 10_000).rounded() / 10_000 } })
            })
            let folder = runFolder.appendingPathComponent(Self.probeFolderName)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try AtomicFile.write(try JSONEncoder().encode(record), to: folder.appendingPathComponent(Self.probeFileName(step: step)))
        }
        if !aligned.isEmpty {
            let links = try zip(aligned, Self.attention(of: aligned, model: model)).map { pair, rows in
                Set(PharaohWriter().links(for: try AttentionMatrix(sourceTokens: pair.source + ["</s>"],
                                                                   targetTokens: pair.target + ["</s>"], rows: rows)))
            }
            let score = try AlignmentErrorRate.score(predicted: links, sure: sure, possible: possible)
            try append(String(format: "%d,%.4f,%.4f,%.4f\n", step, score.errorRate, score.precision, score.recall))
        }
    }

    /// Forced-decoding attention per pair, `[T + 1][S + 1]`, in batches of 64.
    private static func attention(of pairs: [ProbePair], model: any Seq2SeqModel) -> [[[Float]]] {
        stride(from: 0, to: pairs.count, by: 64).flatMap { start in
            let chunk = pairs[start..<Swift.min(start + 64, pairs.count)]
            return model.forcedAttention(Batch(sources: chunk.map(\.sourceIds), targets: chunk.map(\.targetIds)))
        }
    }

    private func append(_ row: String) throws {
        let url = runFolder.appendingPathComponent(Self.alignmentFileName)
        if !FileManager.default.fileExists(atPath: url.path) {
            try AtomicFile.write(Data((Self.alignmentHeader + "\n").utf8), to: url)
        }
        try appendLine(row, to: url)
    }
}

/// Appends `text` to the file at `url`, naming the file and the system's reason on failure.
func appendLine(_ text: String, to url: URL) throws {
    do {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    } catch {
        throw AtomicFileError(file: url.relativePath, step: "append", code: posixCode(of: error))
    }
}

/// The `errno` inside a Foundation error (its own or its underlying error's), else `EIO`.
func posixCode(of error: Error) -> Int32 {
    var current: NSError? = error as NSError
    while let error = current {
        if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
        current = error.userInfo[NSUnderlyingErrorKey] as? NSError
    }
    return EIO
}
