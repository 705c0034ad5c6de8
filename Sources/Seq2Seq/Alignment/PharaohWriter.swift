/// Turns soft attention into hard word alignments in the Pharaoh format: one line per sentence
/// of space-separated `i-j` links (0-based source index `i`, target index `j`).
///
/// Each target word `j` is linked to its highest-weight source word, `i = argmax_s α_js`, the
/// usual way to read an alignment off attention (as in Garg et al. 2019, "Jointly Learning to
/// Align and Translate with Transformer Models"). Ties go to the lowest source index.
///
/// End-of-sentence positions are left out, so that the links can be scored against a gold
/// word alignment (alignment error rate): a target row whose token is ``endOfSentenceToken``
/// gets no link, and neither does a target word whose argmax is a source column whose token is
/// ``endOfSentenceToken`` (the argmax is taken over *all* columns, then dropped if it lands on
/// `</s>`: the model attended to the end, not to a word, and moving the link to the runner-up
/// would invent an alignment the model did not make). The indices of the other words are their
/// positions in the matrix, which equal their positions in the sentence because `</s>` comes last.
///
/// Links are listed in order of source index, then target index; a sentence with no link is an
/// empty line.
public struct PharaohWriter: Sendable {
    /// The token that marks the end-of-sentence rows and columns to leave out.
    public var endOfSentenceToken: String

    /// - Parameter endOfSentenceToken: the token whose rows and columns are left out.
    public init(endOfSentenceToken: String = AttentionMatrix.endOfSentenceToken) {
        self.endOfSentenceToken = endOfSentenceToken
    }

    /// The hard alignment of one sentence, sorted by source index then target index.
    ///
    /// - Parameter matrix: `[T, S]` weights with their tokens.
    public func links(for matrix: AttentionMatrix) -> [AlignmentLink] {
        var links: [AlignmentLink] = []
        for target in 0..<matrix.rowCount where matrix.targetTokens[target] != endOfSentenceToken {
            let row = matrix.row(target)
            var best = row.startIndex
            // Strictly greater: the first (lowest-index) maximum wins a tie.
            for index in row.indices where row[index] > row[best] { best = index }
            let source = best - row.startIndex
            if matrix.sourceTokens[source] != endOfSentenceToken {
                links.append(AlignmentLink(source: source, target: target))
            }
        }
        return links.sorted()
    }

    /// The Pharaoh line of one sentence, without a line feed: `"0-0 1-2 2-1"`.
    public func line(for matrix: AttentionMatrix) -> String {
        links(for: matrix).map(\.description).joined(separator: " ")
    }

    /// A whole Pharaoh file: one line per matrix, each ending in a line feed.
    public func document(for matrices: [AttentionMatrix]) -> String {
        matrices.map { line(for: $0) + "\n" }.joined()
    }
}
