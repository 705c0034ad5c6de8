import Foundation

/// Writes attention matrices as CSV, in two layouts.
///
/// - **Matrix** (`csv`, one file per sentence): a header row with an empty corner cell and the
///   `S` source tokens, then one row per target token starting with that token, `T + 1` lines.
///   `pandas.read_csv(path, index_col=0)` reads it back as a `[T, S]` frame.
/// - **Long** (`long`, one file for a corpus): one line per cell, with the columns
///   `sentence,target_index,target_token,source_index,source_token,weight`; sentences are
///   numbered from 1 (the line number in the source file, and the `000001` of the matrix file
///   names), token indices from 0 (as in Pharaoh).
///
/// Weights have exactly six decimals, and a row that is a distribution prints as summing to
/// exactly 1 (see ``WeightFormatter``). Fields are quoted as RFC 4180 says: a token containing a
/// comma, a double quote, CR or LF is written between double quotes, inner quotes doubled.
/// Lines end in LF.
public struct CSVAlignmentWriter: Sendable {
    /// The header line of the long layout, without its line feed.
    public static let longHeader = "sentence,target_index,target_token,source_index,source_token,weight"

    public init() {}

    /// The whole matrix-layout file for one sentence, ending in a line feed.
    ///
    /// - Parameter matrix: `[T, S]` weights with their tokens.
    /// - Returns: `T + 1` lines of `S + 1` fields each.
    public func matrixDocument(for matrix: AttentionMatrix) -> String {
        let formatter = WeightFormatter()
        var text = "," + matrix.sourceTokens.map(Self.field).joined(separator: ",") + "\n"
        for target in 0..<matrix.rowCount {
            text += Self.field(matrix.targetTokens[target])
            for weight in formatter.format(row: matrix.row(target)) {
                text += "," + weight
            }
            text += "\n"
        }
        return text
    }

    /// The long-layout lines of one sentence, `T * S` lines each ending in a line feed, without
    /// the header (write ``longHeader`` once before the first sentence).
    ///
    /// - Parameters:
    ///   - matrix: `[T, S]` weights with their tokens.
    ///   - sentence: the sentence's number, counted from 1.
    public func longRows(for matrix: AttentionMatrix, sentence: Int) -> String {
        let formatter = WeightFormatter()
        let sourceFields = matrix.sourceTokens.map(Self.field)
        var text = ""
        for target in 0..<matrix.rowCount {
            let prefix = "\(sentence),\(target),\(Self.field(matrix.targetTokens[target])),"
            for (source, weight) in formatter.format(row: matrix.row(target)).enumerated() {
                text += prefix + "\(source),\(sourceFields[source]),\(weight)\n"
            }
        }
        return text
    }

    /// A whole long-layout file: the header, then every matrix's lines.
    ///
    /// - Parameters:
    ///   - matrices: one matrix per sentence.
    ///   - firstSentence: the number of `matrices[0]`; the others follow on.
    public func longDocument(for matrices: [AttentionMatrix], firstSentence: Int = 1) -> String {
        var text = Self.longHeader + "\n"
        for (offset, matrix) in matrices.enumerated() {
            text += longRows(for: matrix, sentence: firstSentence + offset)
        }
        return text
    }

    /// `value` as one CSV field: quoted when it contains a comma, a double quote, CR or LF
    /// (RFC 4180, section 2, rules 6 and 7), and also when it is empty, so that an empty token
    /// stays visible as `""`.
    static func field(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == "," || scalar == "\"" || scalar == "\n" || scalar == "\r"
        }
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
