/// A bijection between tokens and ids, with the special tokens first (`<pad> <unk> <s> </s>`).
public struct Vocabulary: Equatable, Sendable {
    public let tokens: [String]
    private let ids: [String: Int]

    /// A vocabulary over `tokens` as given (specials must come first, as a checkpoint stores them).
    public init?(tokens: [String]) {
        guard tokens.count >= SpecialToken.all.count, Array(tokens.prefix(SpecialToken.all.count)) == SpecialToken.all else { return nil }
        var ids = [String: Int]()
        for (id, token) in tokens.enumerated() where ids[token] == nil { ids[token] = id }
        guard ids.count == tokens.count else { return nil }  // duplicates
        self.tokens = tokens
        self.ids = ids
    }

    /// Builds a vocabulary from training sentences: the most frequent tokens first (ties in
    /// byte order, so the result never depends on hashing), those seen fewer than `minimumCount`
    /// times left out, at most `maximumSize` entries including the specials.
    public init(sentences: [[String]], minimumCount: Int = 1, maximumSize: Int? = nil) {
        var counts = [String: Int]()
        for sentence in sentences { for token in sentence { counts[token, default: 0] += 1 } }
        let ranked = counts.filter { $0.value >= minimumCount && !SpecialToken.all.contains($0.key) }
            .sorted { $0.value != $1.value ? $0.value > $1.value : Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }
            .map(\.key)
        let room = maximumSize.map { Swift.max(0, $0 - SpecialToken.all.count) } ?? ranked.count
        self.init(tokens: SpecialToken.all + ranked.prefix(room))!
    }

    public var count: Int { tokens.count }

    /// The id of `token`, or `<unk>`'s.
    public func id(_ token: String) -> Int { ids[token] ?? SpecialToken.unknown }

    public func encode(_ sentence: [String]) -> [Int] { sentence.map(id) }

    /// The tokens of `ids` up to (without) the first `</s>`, specials other than `<unk>` dropped.
    public func decode(_ ids: [Int]) -> [String] {
        var words = [String]()
        for id in ids {
            if id == SpecialToken.end { break }
            if id == SpecialToken.padding || id == SpecialToken.start { continue }
            words.append(id >= 0 && id < tokens.count ? tokens[id] : SpecialToken.all[SpecialToken.unknown])
        }
        return words
    }
}
