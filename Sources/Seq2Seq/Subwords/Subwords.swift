/// The subword segmentation a model was trained with: one set of merges per side (the same
/// set twice for a joint vocabulary). A checkpoint stores it, so that `translate`, `align` and
/// `eval` take and give words.
public struct Subwords: Equatable, Sendable {
    public var source: BPECodes
    public var target: BPECodes

    public init(source: BPECodes, target: BPECodes) {
        self.source = source
        self.target = target
    }

    /// Learns `merges` merges from the training pairs, jointly over both sides or each side apart.
    public static func learn(merges: Int, sources: [[String]], targets: [[String]], separate: Bool) -> Subwords {
        func counts(_ sentences: [[String]]) -> [String: Int] { BPELearner.wordCounts(words: sentences.joined()) }
        if separate {
            var source = BPELearner(wordCounts: counts(sources)), target = BPELearner(wordCounts: counts(targets))
            return Subwords(source: source.learn(merges: merges), target: target.learn(merges: merges))
        }
        var joint = BPELearner(wordCounts: counts(sources + targets))
        let codes = joint.learn(merges: merges)
        return Subwords(source: codes, target: codes)
    }

    /// Segments a corpus' sentences side by side, each distinct word once.
    public func segment(_ corpus: ParallelCorpus) -> ParallelCorpus {
        ParallelCorpus(sources: Self.segment(corpus.sources, source), targets: Self.segment(corpus.targets, target))
    }

    /// The source words of each sentence as pieces.
    public func segmentSources(_ sentences: [[String]]) -> [[String]] { Self.segment(sentences, source) }

    /// The target words of each sentence as pieces.
    public func segmentTargets(_ sentences: [[String]]) -> [[String]] { Self.segment(sentences, target) }

    private static func segment(_ sentences: [[String]], _ codes: BPECodes) -> [[String]] {
        var cache = [String: [String]]()
        return sentences.map { sentence in
            sentence.flatMap { word in
                if let pieces = cache[word] { return pieces }
                let pieces = codes.segment(word: word)
                cache[word] = pieces
                return pieces
            }
        }
    }
}
