import Autograd

/// A term a training pass adds to the loss beside the mean token cross-entropy: hard
/// attention's REINFORCE surrogate, the coverage loss, guided alignment's cross-entropy.
///
/// A model (or one of its parts) adds a term to the `ForwardContext` during the forward pass
/// and fills it step by step; `Seq2SeqModel.loss` then asks each term for its value once, with
/// what the pass produced (`PassOutcome`), and adds it to the cross-entropy. A term divides by
/// `PassOutcome.tokenCount`, so that it is on the cross-entropy's per-token scale.
public protocol LossTerm: AnyObject {
    /// The term, a scalar on the tape.
    func loss(_ outcome: PassOutcome) -> Tensor
}

/// What a training pass produced that a loss term may need.
public final class PassOutcome {
    public let batch: Batch
    private let logits: Tensor?
    private var likelihoods: [Float]?

    /// - Parameter logits: the pass's `[B, T, V]`, from which the sentence likelihoods are read.
    public init(batch: Batch, logits: Tensor) {
        self.batch = batch
        self.logits = logits
    }

    /// An outcome with given likelihoods (a hand-worked case).
    public init(batch: Batch, sentenceLogLikelihoods: [Float]) {
        self.batch = batch
        logits = nil
        likelihoods = sentenceLogLikelihoods
    }

    /// `N`, the target tokens the cross-entropy averages over (`</s>` included).
    public var tokenCount: Int { batch.targetTokenCount }

    /// `log p(y_b | x_b)` of each pair's reference under this pass (with the attention it
    /// sampled), summed over the pair's tokens with `</s>`: read off the logits, without
    /// label smoothing and off the tape, when first asked.
    public var sentenceLogLikelihoods: [Float] {
        if let likelihoods { return likelihoods }
        var sums = [Float](repeating: 0, count: batch.size)
        if let logits {
            // Off the tape: the rows' log-softmax by the engine's kernel, then each reference token's entry.
            let logProbabilities = logits.detached().logSoftmax()
            let classes = logits.shape.last ?? 1, length = batch.targetLength
            for b in 0..<batch.size {
                var total = 0.0
                for t in 0..<length where batch.targetOutput[b * length + t] != SpecialToken.padding {
                    total += Double(logProbabilities.data[(b * length + t) * classes + batch.targetOutput[b * length + t]])
                }
                sums[b] = Float(total)
            }
        }
        likelihoods = sums
        return sums
    }
}

extension ForwardContext {
    /// The term of type `Term` that `owner` added earlier in this pass, or `nil`.
    public func lossTerm<Term: LossTerm>(of type: Term.Type, owner: AnyObject) -> Term? {
        let id = ObjectIdentifier(owner)
        return lossTerms.lazy.compactMap { $0.owner == id ? $0.term as? Term : nil }.first
    }

    /// Adds `term` to this pass's loss; `owner` finds it again (`lossTerm(of:owner:)`).
    public mutating func addLossTerm(_ term: any LossTerm, owner: AnyObject) {
        lossTerms.append((ObjectIdentifier(owner), term))
    }

    /// The model's answer to `guidance`: the attention it asked for, `[B, T, S]` on the tape,
    /// which guided alignment's cross-entropy then supervises.
    public mutating func superviseAttention(_ weights: Tensor) {
        guard let guidance else { return }
        addLossTerm(GuidedAlignmentLoss(attention: weights, weight: guidance.weight), owner: weights)
    }

    /// `loss` plus every term the pass added, which are then forgotten (the next pass starts afresh).
    /// - Parameters: - logits: the pass's `[B, T, V]`.
    mutating func addingLossTerms(to loss: Tensor, batch: Batch, logits: Tensor) -> Tensor {
        guard !lossTerms.isEmpty else { return loss }
        let outcome = PassOutcome(batch: batch, logits: logits)
        let total = lossTerms.reduce(loss) { $0 + $1.term.loss(outcome) }
        lossTerms.removeAll()
        return total
    }
}
