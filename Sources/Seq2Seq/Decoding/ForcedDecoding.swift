import Autograd

/// The attention a model pays while it reads given target sentences (teacher forcing):
/// what `attend align --tgt` writes out.
public enum ForcedDecoding {
    /// - Returns: per pair, `[T + 1][S + 1]`: a row per target word and `</s>`, a column per
    ///   source word and `</s>`; empty rows for a model without attention.
    public static func attention(_ model: RNNSeq2Seq, sources: [[Int]], targets: [[Int]]) -> [[[Float]]] {
        withoutGradients {
            let batch = Batch(sources: sources, targets: targets)
            var context = ForwardContext.inference
            var state = model.encode(source: batch.source, lengths: batch.sourceLengths, context: &context)
            var matrices = [[[Float]]](repeating: [], count: batch.size)
            for t in 0..<batch.targetLength {
                let tokens = (0..<batch.size).map { batch.targetInput[$0 * batch.targetLength + t] }
                let (_, weights, next) = model.step(tokens: tokens, state: state, context: &context)
                if let weights {
                    for b in 0..<batch.size where t <= targets[b].count {
                        let row = weights.data + b * batch.sourceLength
                        matrices[b].append(Array(UnsafeBufferPointer(start: row, count: batch.sourceLengths[b])))
                    }
                }
                state = next
            }
            return matrices
        }
    }
}
