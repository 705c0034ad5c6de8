import Seq2Seq
import Testing

/// Vocabulary, batches and the batcher (Swift Testing).
@Suite struct DataPipelineTests {
    @Test func vocabularyPutsSpecialsFirstThenFrequentTokens() {
        let vocabulary = Vocabulary(sentences: [["b", "a", "b"], ["c", "b", "a"], ["d"]], minimumCount: 1, maximumSize: 7)
        #expect(vocabulary.tokens == ["<pad>", "<unk>", "<s>", "</s>", "b", "a", "c"])
        #expect(vocabulary.encode(["a", "zzz", "d"]) == [5, SpecialToken.unknown, SpecialToken.unknown])
        #expect(vocabulary.decode([4, 5, SpecialToken.end, 6]) == ["b", "a"])
        #expect(Vocabulary(sentences: [["x", "y", "y"]], minimumCount: 2).tokens == SpecialToken.all + ["y"])
        #expect(Vocabulary(tokens: ["a", "b"]) == nil, "a stored vocabulary must start with the specials")
    }

    @Test func batchEndsSourcesAndShiftsTargets() {
        let batch = Batch(sources: [[7, 8], [9]], targets: [[5], [6, 6]])
        #expect(batch.sourceLength == 3)
        #expect(batch.source == [7, 8, SpecialToken.end, 9, SpecialToken.end, SpecialToken.padding])
        #expect(batch.sourceLengths == [3, 2])
        #expect(batch.targetInput == [SpecialToken.start, 5, 0, SpecialToken.start, 6, 6])
        #expect(batch.targetOutput == [5, SpecialToken.end, 0, 6, 6, SpecialToken.end])
        #expect(batch.targetTokenCount == 5)
    }

    @Test(arguments: [1, 3, 8])
    func batcherCoversEveryPairOnceAndIsReproducible(batchSize: Int) {
        let pairs = (0..<50).map { i in (source: Array(repeating: 4, count: 1 + i % 7), target: [4 + i]) }
        let batcher = Batcher(pairs: pairs, batchSize: batchSize, seed: 11)
        let first = batcher.batches(epoch: 0)
        let seen = first.flatMap { batch in (0..<batch.size).map { batch.targetOutput[$0 * batch.targetLength] } }
        #expect(seen.sorted() == (4..<54).map { $0 })
        #expect(first.allSatisfy { $0.size <= batchSize })
        #expect(batcher.batches(epoch: 0).map(\.source) == first.map(\.source), "same seed and epoch, same batches")
        if batchSize > 1 {
            #expect(batcher.batches(epoch: 1).map(\.source) != first.map(\.source), "a new order every epoch")
        }
    }
}
