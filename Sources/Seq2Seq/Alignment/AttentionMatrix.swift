/// The attention weights of one sentence pair: row `t` is the distribution the decoder
/// spent over the source positions while producing target token `t`.
///
/// Shape `[T, S]`, row-major: `T = targetTokens.count` rows, `S = sourceTokens.count` columns,
/// `weights[t * S + s] = α_ts`, where `α_t = softmax(e_t)` (Bahdanau et al. 2015, Eq. 6), so every
/// row of a real attention matrix sums to 1.
///
/// **The `</s>` positions.** Pass the tokens the model actually attended over and emitted,
/// with `</s>` (``endOfSentenceToken``) appended on *both* sides: the source column the encoder
/// read at the end, and the target row in which the decoder produced `</s>`. The matrix formats
/// (CSV, long CSV, SVG) show those positions; Pharaoh leaves out every row and column whose token
/// is `</s>` (see ``PharaohWriter``).
///
/// The initialisers validate their input and throw ``AttentionMatrixError`` rather than trap:
/// sizes that disagree, an empty side, or a weight that is NaN or infinite.
public struct AttentionMatrix: Equatable, Sendable {
    /// The token a model appends to mark the end of a sentence.
    public static let endOfSentenceToken = "</s>"

    /// The `S` source tokens, one per column.
    public let sourceTokens: [String]
    /// The `T` target tokens, one per row.
    public let targetTokens: [String]
    /// The weights `[T, S]`, flat and row-major.
    public let weights: [Float]

    /// Creates a matrix from flat row-major weights.
    ///
    /// - Parameters:
    ///   - sourceTokens: `[S]`, with `</s>` appended where the model has it.
    ///   - targetTokens: `[T]`, with `</s>` appended where the model has it.
    ///   - weights: `[T * S]`, row-major: `weights[t * S + s]` is the weight of source `s` for target `t`.
    /// - Throws: ``AttentionMatrixError`` when a side is empty, the count is not `T * S`, or a
    ///   weight is not finite.
    public init(sourceTokens: [String], targetTokens: [String], weights: [Float]) throws {
        guard !sourceTokens.isEmpty else { throw AttentionMatrixError.noSourceTokens }
        guard !targetTokens.isEmpty else { throw AttentionMatrixError.noTargetTokens }
        let expected = targetTokens.count * sourceTokens.count
        guard weights.count == expected else {
            throw AttentionMatrixError.weightCountMismatch(
                count: weights.count, targetCount: targetTokens.count, sourceCount: sourceTokens.count)
        }
        if let index = weights.firstIndex(where: { !$0.isFinite }) {
            throw AttentionMatrixError.nonFiniteWeight(
                target: index / sourceTokens.count, source: index % sourceTokens.count)
        }
        self.sourceTokens = sourceTokens
        self.targetTokens = targetTokens
        self.weights = weights
    }

    /// Creates a matrix from one array of weights per target token.
    ///
    /// - Parameters:
    ///   - sourceTokens: `[S]`, with `</s>` appended where the model has it.
    ///   - targetTokens: `[T]`, with `</s>` appended where the model has it.
    ///   - rows: `[T][S]`: `rows[t][s]` is the weight of source `s` for target `t`.
    /// - Throws: ``AttentionMatrixError`` when there are not `T` rows of `S` weights each, a side
    ///   is empty, or a weight is not finite.
    public init(sourceTokens: [String], targetTokens: [String], rows: [[Float]]) throws {
        guard rows.count == targetTokens.count else {
            throw AttentionMatrixError.rowCountMismatch(rowCount: rows.count, targetCount: targetTokens.count)
        }
        if let bad = rows.firstIndex(where: { $0.count != sourceTokens.count }) {
            throw AttentionMatrixError.rowLengthMismatch(
                row: bad, length: rows[bad].count, sourceCount: sourceTokens.count)
        }
        try self.init(sourceTokens: sourceTokens, targetTokens: targetTokens, weights: rows.flatMap { $0 })
    }

    /// `T`, the number of target tokens (rows).
    public var rowCount: Int { targetTokens.count }
    /// `S`, the number of source tokens (columns).
    public var columnCount: Int { sourceTokens.count }

    /// The weight of source position `source` for target position `target`.
    ///
    /// Indices are 0-based and must be in range (they come from the caller's loops, not from
    /// user data).
    public subscript(target: Int, source: Int) -> Float {
        weights[target * columnCount + source]
    }

    /// Row `target`: `[S]`, the attention of one target token over all source tokens.
    public func row(_ target: Int) -> ArraySlice<Float> {
        let start = target * columnCount
        return weights[start..<(start + columnCount)]
    }
}

/// Why an ``AttentionMatrix`` could not be built.
public enum AttentionMatrixError: Error, Equatable, CustomStringConvertible {
    /// There are no source tokens (pass at least `</s>`).
    case noSourceTokens
    /// There are no target tokens (pass at least `</s>`).
    case noTargetTokens
    /// A flat weight array whose length is not `targetCount * sourceCount`.
    case weightCountMismatch(count: Int, targetCount: Int, sourceCount: Int)
    /// Row-wise weights with a number of rows other than the number of target tokens.
    case rowCountMismatch(rowCount: Int, targetCount: Int)
    /// Row `row` (0-based) does not have one weight per source token.
    case rowLengthMismatch(row: Int, length: Int, sourceCount: Int)
    /// The weight at (`target`, `source`) is NaN or infinite.
    case nonFiniteWeight(target: Int, source: Int)

    public var description: String {
        switch self {
        case .noSourceTokens:
            return "attention matrix has no source tokens"
        case .noTargetTokens:
            return "attention matrix has no target tokens"
        case let .weightCountMismatch(count, targetCount, sourceCount):
            return "attention matrix has \(count) weights but \(targetCount) target × \(sourceCount) source tokens "
                + "need \(targetCount * sourceCount)"
        case let .rowCountMismatch(rowCount, targetCount):
            return "attention matrix has \(rowCount) rows but \(targetCount) target tokens"
        case let .rowLengthMismatch(row, length, sourceCount):
            return "attention matrix row \(row) has \(length) weights but there are \(sourceCount) source tokens"
        case let .nonFiniteWeight(target, source):
            return "attention weight at target \(target), source \(source) is not a finite number"
        }
    }
}
