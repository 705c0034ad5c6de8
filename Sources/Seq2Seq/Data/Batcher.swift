import Autograd

/// Groups sentence pairs into batches of similar length (bucketing), in an order drawn
/// afresh each epoch from the seed, so padding stays small and runs are reproducible.
public struct Batcher: Sendable {
    public let pairs: [(source: [Int], target: [Int])]
    public let batchSize: Int
    public let seed: UInt64
    /// Gold word alignments of the pairs, which each batch carries (guided alignment).
    public let alignments: [Set<AlignmentLink>]?

    /// - Parameter alignments: one set of links per pair, or `nil`.
    public init(pairs: [(source: [Int], target: [Int])], batchSize: Int, seed: UInt64, alignments: [Set<AlignmentLink>]? = nil) {
        precondition(alignments.map { $0.count == pairs.count } ?? true, "Batcher: \(pairs.count) pairs, \(alignments?.count ?? 0) alignments")
        self.pairs = pairs
        self.batchSize = Swift.max(1, batchSize)
        self.seed = seed
        self.alignments = alignments
    }

    /// The batches of one epoch, the same for the same seed and epoch.
    ///
    /// Pairs are shuffled, stably sorted by (source, target) length inside chunks of 100
    /// batches — a pool small enough to keep the order random, large enough to bucket —
    /// cut into batches, and the batches shuffled.
    public func batches(epoch: Int) -> [Batch] {
        var generator = SeededGenerator(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9)
        var order = Array(pairs.indices)
        order.shuffle(using: &generator)
        let pool = batchSize * 100
        var groups = [[Int]]()
        for start in stride(from: 0, to: order.count, by: pool) {
            let chunk = order[start..<Swift.min(start + pool, order.count)].sorted {
                (pairs[$0].source.count, pairs[$0].target.count) < (pairs[$1].source.count, pairs[$1].target.count)
            }
            for first in stride(from: 0, to: chunk.count, by: batchSize) {
                groups.append(Array(chunk[first..<Swift.min(first + batchSize, chunk.count)]))
            }
        }
        groups.shuffle(using: &generator)
        return groups.map { group in
            var batch = Batch(sources: group.map { pairs[$0].source }, targets: group.map { pairs[$0].target })
            batch.alignments = alignments.map { links in group.map { links[$0] } }
            return batch
        }
    }

    /// Batches in corpus order (for validation and evaluation).
    public func sequentialBatches() -> [Batch] {
        stride(from: 0, to: pairs.count, by: batchSize).map { start in
            let slice = pairs[start..<Swift.min(start + batchSize, pairs.count)]
            return Batch(sources: slice.map(\.source), targets: slice.map(\.target))
        }
    }
}
