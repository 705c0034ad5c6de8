/// Learns byte-pair-encoding merges from word counts (Sennrich et al. 2016, §3.2, Algorithm 1):
/// every word starts as its characters, the last marked `</w>`; the most frequent adjacent pair
/// of symbols, counted over all words weighted by their frequency, is merged into one symbol,
/// and again, `merges` times or until no pair occurs twice.
///
/// Ties between pairs of equal count go to the pair first in byte order of left then right
/// symbol, so the result never depends on hashing or on the order of the input.
///
/// As subword-nmt does, pair counts are computed once and then updated: an index from each pair
/// to the words that hold it says which words a merge touches, and only their pairs change. The
/// most frequent pair comes off a max-heap whose stale entries (a count since changed) are
/// skipped when they surface. A merge costs the length of the words it touches, not the corpus.
public struct BPELearner {
    /// Symbol ids → text, and back.
    private var symbols = [String]()
    private var symbolBytes = [[UInt8]]()
    private var symbolIDs = [String: Int32]()
    /// The distinct words as symbol ids, with their counts.
    private var words = [[Int32]]()
    private var counts = [Int]()
    private var pairCounts = [UInt64: Int]()
    private var pairWords = [UInt64: [Int32]]()
    private var heap = [(count: Int, pair: UInt64)]()

    /// - Parameter wordCounts: how often each word occurs (words contain no whitespace).
    public init(wordCounts: [String: Int]) {
        // Sorted, so that ids (and hence everything after) never depend on hashing.
        for (word, count) in wordCounts.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) where count > 0 {
            var characters = word.map(String.init)
            guard !characters.isEmpty else { continue }
            characters[characters.count - 1] += BPECodes.endOfWord
            var word = [Int32]()
            for character in characters { word.append(id(character)) }
            words.append(word)
            counts.append(count)
        }
        for (index, word) in words.enumerated() {
            for pair in pairs(of: word) {
                pairCounts[pair, default: 0] += counts[index]
                pairWords[pair, default: []].append(Int32(index))
            }
        }
        for (pair, count) in pairCounts { push(count, pair) }
    }

    /// Counts the whitespace-separated words of `lines`.
    public static func wordCounts<Lines: Sequence>(_ lines: Lines) -> [String: Int] where Lines.Element == String {
        wordCounts(words: lines.lazy.flatMap { $0.split(whereSeparator: BPECodes.isSeparator) })
    }

    /// How often each word occurs among `words`.
    public static func wordCounts<Words: Sequence>(words: Words) -> [String: Int] where Words.Element: StringProtocol {
        var counts = [String: Int]()
        for word in words { counts[String(word), default: 0] += 1 }
        return counts
    }

    /// Learns up to `count` merges; fewer when no pair occurs at least `minimumFrequency` times.
    public mutating func learn(merges count: Int, minimumFrequency: Int = 2) -> BPECodes {
        var merges = [BPECodes.Merge]()
        merges.reserveCapacity(count)
        while merges.count < count, let (pair, frequency) = popBest(), frequency >= minimumFrequency {
            let (left, right) = split(pair)
            merges.append(BPECodes.Merge(symbols[Int(left)], symbols[Int(right)]))
            apply(pair)
        }
        return BPECodes(merges: merges)
    }

    // MARK: - Merging

    /// Replaces `left right` by one symbol in every word that holds it, updating the counts.
    private mutating func apply(_ pair: UInt64) {
        let (left, right) = split(pair)
        let merged = id(symbols[Int(left)] + symbols[Int(right)])
        var changed = Set<UInt64>()
        var seen = Set<Int32>()
        for index in pairWords[pair] ?? [] where seen.insert(index).inserted {
            let old = words[Int(index)]
            guard contains(old, pair) else { continue }  // the index may be stale
            var new = [Int32]()
            new.reserveCapacity(old.count)
            var i = 0
            while i < old.count {
                if i + 1 < old.count, old[i] == left, old[i + 1] == right {
                    new.append(merged)
                    i += 2
                } else {
                    new.append(old[i])
                    i += 1
                }
            }
            let count = counts[Int(index)]
            for p in pairs(of: old) {
                pairCounts[p, default: 0] -= count
                changed.insert(p)
            }
            for p in pairs(of: new) {
                pairCounts[p, default: 0] += count
                changed.insert(p)
                pairWords[p, default: []].append(index)
            }
            words[Int(index)] = new
        }
        pairWords[pair] = nil
        for p in changed {
            let count = pairCounts[p] ?? 0
            if count > 0 { push(count, p) } else { pairCounts[p] = nil }
        }
    }

    private func contains(_ word: [Int32], _ pair: UInt64) -> Bool {
        let (left, right) = split(pair)
        for i in 0..<Swift.max(0, word.count - 1) where word[i] == left && word[i + 1] == right { return true }
        return false
    }

    private func pairs(of word: [Int32]) -> [UInt64] {
        guard word.count > 1 else { return [] }
        return (0..<(word.count - 1)).map { UInt64(UInt32(word[$0])) << 32 | UInt64(UInt32(word[$0 + 1])) }
    }

    private func split(_ pair: UInt64) -> (Int32, Int32) { (Int32(truncatingIfNeeded: pair >> 32), Int32(truncatingIfNeeded: pair)) }

    private mutating func id(_ symbol: String) -> Int32 {
        if let id = symbolIDs[symbol] { return id }
        let id = Int32(symbols.count)
        symbols.append(symbol)
        symbolBytes.append(Array(symbol.utf8))
        symbolIDs[symbol] = id
        return id
    }

    // MARK: - The heap

    /// Whether `a` should come off the heap before `b`: the higher count, then byte order.
    private func precedes(_ a: (count: Int, pair: UInt64), _ b: (count: Int, pair: UInt64)) -> Bool {
        if a.count != b.count { return a.count > b.count }
        let (al, ar) = split(a.pair), (bl, br) = split(b.pair)
        if al != bl { return symbolBytes[Int(al)].lexicographicallyPrecedes(symbolBytes[Int(bl)]) }
        return symbolBytes[Int(ar)].lexicographicallyPrecedes(symbolBytes[Int(br)])
    }

    private mutating func push(_ count: Int, _ pair: UInt64) {
        heap.append((count, pair))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// The most frequent pair with its current count; stale entries are dropped on the way.
    private mutating func popBest() -> (UInt64, Int)? {
        while let top = heap.first {
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var parent = 0
                while true {
                    let (l, r) = (2 * parent + 1, 2 * parent + 2)
                    var best = parent
                    if l < heap.count, precedes(heap[l], heap[best]) { best = l }
                    if r < heap.count, precedes(heap[r], heap[best]) { best = r }
                    if best == parent { break }
                    heap.swapAt(parent, best)
                    parent = best
                }
            }
            if pairCounts[top.pair] == top.count { return (top.pair, top.count) }
        }
        return nil
    }
}
