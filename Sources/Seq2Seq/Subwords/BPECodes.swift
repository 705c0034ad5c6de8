/// Byte-pair-encoding merges and how to use them: segmenting words into subword pieces and
/// joining pieces back into words (Sennrich, Haddow & Birch 2016, "Neural Machine Translation
/// of Rare Words with Subword Units", §3.2).
///
/// A word is first its characters (Swift `Character`s: grapheme clusters, so an accent and its
/// letter stay one symbol), the last one marked as ending the word (`o</w>`); then the merge of
/// lowest rank present anywhere in the word is applied to every occurrence, until none applies.
/// A segmented word is written as its pieces with `@@` on every piece but the last
/// (`lo@@ wer`), so that deleting `"@@ "` restores the text.
///
/// The file format is subword-nmt's: a `#version: 0.2` line, then one merge per line,
/// `left right`, in the order learned (the rank).
public struct BPECodes: Equatable, Sendable {
    /// The end-of-word mark on a word's last symbol.
    public static let endOfWord = "</w>"
    /// The continuation mark on every piece of a word but the last.
    public static let continuation = "@@"
    static let header = "#version: 0.2"

    /// The merges in the order learned: merge `i` has rank `i`.
    public let merges: [Merge]
    private let ranks: [Merge: Int]

    public struct Merge: Hashable, Sendable {
        public var left: String
        public var right: String
        public init(_ left: String, _ right: String) { (self.left, self.right) = (left, right) }
    }

    public init(merges: [Merge]) {
        self.merges = merges
        var ranks = [Merge: Int](minimumCapacity: merges.count)
        for (rank, merge) in merges.enumerated() where ranks[merge] == nil { ranks[merge] = rank }
        self.ranks = ranks
    }

    public static func == (a: BPECodes, b: BPECodes) -> Bool { a.merges == b.merges }

    // MARK: - The file

    /// The codes as subword-nmt writes them: the version line, then `left right` per merge.
    public var text: String {
        var text = Self.header + "\n"
        for merge in merges { text += merge.left + " " + merge.right + "\n" }
        return text
    }

    /// Reads the codes `text` holds; the version line is optional (older subword-nmt files have none).
    /// - Throws: `BPECodesError.malformedLine` for a line that is not two symbols.
    public init(text: String, name: String = "<codes>") throws {
        var merges = [Merge]()
        for (number, line) in TextLines.split(text).enumerated() {
            if number == 0 && line.hasPrefix("#version") { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw BPECodesError.malformedLine(file: name, line: number + 1)
            }
            merges.append(Merge(String(parts[0]), String(parts[1])))
        }
        self.init(merges: merges)
    }

    // MARK: - Segmenting

    /// The pieces of one word, `@@` on all but the last: `lower` → `["lo@@", "wer"]`.
    public func segment(word: String) -> [String] {
        var symbols = word.map(String.init)
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += Self.endOfWord
        while symbols.count > 1 {
            // The lowest-ranked merge among the adjacent pairs, applied to all its occurrences.
            var best: (rank: Int, merge: Merge)?
            for i in 0..<(symbols.count - 1) {
                let merge = Merge(symbols[i], symbols[i + 1])
                if let rank = ranks[merge], rank < (best?.rank ?? .max) { best = (rank, merge) }
            }
            guard let merge = best?.merge else { break }
            var merged = [String]()
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i + 1 < symbols.count, symbols[i] == merge.left, symbols[i + 1] == merge.right {
                    merged.append(merge.left + merge.right)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        let last = symbols.count - 1
        symbols[last] = String(symbols[last].dropLast(Self.endOfWord.count))
        for i in 0..<last { symbols[i] += Self.continuation }
        return symbols
    }

    /// Every word of a tokenised sentence segmented, in order.
    public func segment(sentence words: [String]) -> [String] {
        words.flatMap { segment(word: $0) }
    }

    /// `line` with every word segmented and the spaces, tabs and `\r`s between words kept as
    /// they were, so that `join(line:)` gives `line` back exactly.
    public func segment(line: String, cache: inout [Substring: String]) -> String {
        var output = ""
        output.reserveCapacity(line.utf8.count * 2)
        var word = line.startIndex
        func flush(_ end: String.Index) {
            guard word < end else { return }
            let text = line[word..<end]
            if let done = cache[text] {
                output += done
            } else {
                let done = segment(word: String(text)).joined(separator: " ")
                cache[text] = done
                output += done
            }
        }
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            let next = line.index(after: index)
            if Self.isSeparator(character) {
                flush(index)
                output.append(character)
                word = next
            }
            index = next
        }
        flush(line.endIndex)
        return output
    }

    static func isSeparator(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\r" || character == "\r\n"
    }

    // MARK: - Joining

    /// Pieces back into words: a piece ending in `@@` is glued to the next one.
    public static func join(_ pieces: [String]) -> [String] {
        var words = [String](), current = ""
        for piece in pieces {
            if piece.hasSuffix(continuation) {
                current += piece.dropLast(continuation.count)
            } else {
                words.append(current + piece)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }  // a last piece that promised more
        return words
    }

    /// A segmented line back as text: every `"@@ "` removed, and a `@@` that ends the line.
    public static func join(line: String) -> String {
        var text = line.replacingOccurrences(of: continuation + " ", with: "")
        if text.hasSuffix(continuation) { text.removeLast(continuation.count) }
        return text
    }

    /// `pieces` with a continuation mark on the last one removed (a model may stop mid-word),
    /// so that nothing after them joins on.
    public static func closingLastPiece(_ pieces: [String]) -> [String] {
        guard let last = pieces.last, last.hasSuffix(continuation) else { return pieces }
        return pieces.dropLast() + [String(last.dropLast(continuation.count))]
    }

    /// For each piece, the index of the word it belongs to: `["lo@@", "wer", "a"]` → `[0, 0, 1]`.
    public static func wordIndices(_ pieces: [String]) -> [Int] {
        var indices = [Int](), word = 0
        for piece in pieces {
            indices.append(word)
            if !piece.hasSuffix(continuation) { word += 1 }
        }
        return indices
    }
}

/// Why a codes file could not be read.
public enum BPECodesError: Error, Equatable, CustomStringConvertible {
    case malformedLine(file: String, line: Int)

    public var description: String {
        switch self {
        case let .malformedLine(file, line): "\(file):\(line) is not a merge ('left right')"
        }
    }
}
