/// How one sentence pair addressed a model's external memory: the raw weightings over its
/// slots, the pictures of Graves et al. 2014, figures 4 and 6 (what `align --memory` writes).
public struct MemoryWeightings: Equatable, Sendable {
    /// The write weighting at each source step, the source words and `</s>`: `[S + 1][N]`.
    public var write: [[Float]]
    /// Each read head's weighting at each target step, the target words and `</s>`: `[R][T + 1][N]`.
    public var read: [[[Float]]]
}

/// A model with an external memory whose addressing can be shown.
public protocol MemoryAddressingModel: Seq2SeqModel {
    /// `N`, the memory's rows.
    var memorySlots: Int { get }
    /// `R`, the heads that read it.
    var readHeadCount: Int { get }
    /// The weightings of every pair, while reading its source and then its given target.
    func memoryWeightings(_ batch: Batch) -> [MemoryWeightings]
}

extension NeuralTuringMachine: MemoryAddressingModel {
    public var memorySlots: Int { configuration.memorySlots }
    public var readHeadCount: Int { configuration.readHeads }

    public func memoryWeightings(_ batch: Batch) -> [MemoryWeightings] {
        let traces = forcedTraces(batch)
        let (n, heads, length) = (configuration.memorySlots, configuration.readHeads, batch.sourceLength)
        func row(_ pointer: UnsafeMutablePointer<Float>) -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: n)) }
        return (0..<batch.size).map { b in
            MemoryWeightings(
                write: (0..<batch.sourceLengths[b]).map { s in row(traces.written.data + (b * length + s) * n) },
                read: (0..<heads).map { h in (0..<batch.targetLengths[b]).map { t in row(traces.reads[t].data + (b * heads + h) * n) } })
        }
    }
}
