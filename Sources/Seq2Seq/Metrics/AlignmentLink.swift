/// One link of a word alignment: source word `source` is aligned to target word `target`.
///
/// Indices are 0-based positions in the whitespace-tokenised sentences. In Pharaoh format
/// (Moses, fast_align, GIZA++ post-processing) a sentence's links are written on one line as
/// `i-j` pairs, source index first, separated by spaces: `0-0 1-2 2-1`.
public struct AlignmentLink: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var source: Int
    public var target: Int

    public init(source: Int, target: Int) {
        self.source = source
        self.target = target
    }

    /// `"i-j"`, source index first.
    public var description: String { "\(source)-\(target)" }

    public static func < (lhs: AlignmentLink, rhs: AlignmentLink) -> Bool {
        (lhs.source, lhs.target) < (rhs.source, rhs.target)
    }
}

/// Reading and writing word alignments in Pharaoh format.
public enum Pharaoh {
    /// The links of one Pharaoh line; an empty (or all-whitespace) line is an empty alignment.
    /// Repeated links count once.
    ///
    /// - Parameter lineNumber: the line's 1-based number, for the error message.
    /// - Throws: `MetricError.malformedLink` for a token that is not `i-j` with non-negative
    ///   decimal integers.
    public static func links(in line: String, lineNumber: Int = 1) throws -> Set<AlignmentLink> {
        var links = Set<AlignmentLink>()
        for word in PythonWhitespace.split(line.scalarArray) {
            let token = String(String.UnicodeScalarView(word))
            let parts = token.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let source = index(parts[0]), let target = index(parts[1]) else {
                throw MetricError.malformedLink(line: lineNumber, token: token)
            }
            links.insert(AlignmentLink(source: source, target: target))
        }
        return links
    }

    /// The links of every line of a Pharaoh file's text, one set per line.
    public static func corpus(_ lines: [String]) throws -> [Set<AlignmentLink>] {
        try lines.enumerated().map { try links(in: $1, lineNumber: $0 + 1) }
    }

    /// One Pharaoh line for `links`, sorted by source then target index.
    public static func line(_ links: Set<AlignmentLink>) -> String {
        links.sorted().map { "\($0.source)-\($0.target)" }.joined(separator: " ")
    }

    /// A decimal ASCII index (no sign, no spaces), or nil.
    private static func index(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }
}
