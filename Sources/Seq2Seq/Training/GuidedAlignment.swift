import Autograd

/// Guided alignment (Garg et al. 2019, "Jointly Learning to Align and Translate with
/// Transformer Models", §4; Marian's `--guided-alignment`): one attention is trained towards
/// gold word alignments by adding `λ · CE(α, A)` to the loss, where `A` holds the gold links
/// of each target word normalised to sum to 1,
///
///     CE(α, A) = −(1/N_A) Σ_b Σ_{t aligned} Σ_s A_bts log(α_bts + ε),   ε = 10⁻⁶,
///
/// `N_A` the number of target words with a link (words without one are left out, as is the
/// `</s>` row, which Pharaoh links never name).
public struct AlignmentGuidance: Equatable, Sendable {
    /// The supervised attention: a layer and a head (0-based).
    public var choice: AttentionChoice
    /// `λ`.
    public var weight: Float

    public init(choice: AttentionChoice, weight: Float) {
        self.choice = choice
        self.weight = weight
    }
}

public enum GuidedAlignment {
    /// Keeps `log` finite where attention is 0 (Marian's ε).
    static let epsilon: Float = 1e-6

    /// `A`: each target word's gold links, normalised to sum to 1, `[B, T, S]`, and the number
    /// of target words with a link.
    /// - Parameters: - links: per pair, `i-j` = source word `i` to target word `j` (0-based).
    public static func targets(_ links: [Set<AlignmentLink>], batch: Batch) -> (weights: Tensor, alignedWords: Int) {
        let (t, s) = (batch.targetLength, batch.sourceLength)
        let gold = Tensor.zeros([batch.size, t, s])
        var aligned = 0
        for (b, pair) in links.enumerated() {
            let byTarget = Dictionary(grouping: pair, by: \.target)
            for (target, sources) in byTarget where target < t {
                let inside = sources.filter { $0.source < s }
                guard !inside.isEmpty else { continue }
                aligned += 1
                for link in inside { gold.data[(b * t + target) * s + link.source] = 1 / Float(inside.count) }
            }
        }
        return (gold, aligned)
    }

    /// `CE(α, A)`, a scalar (0 when no target word has a link).
    /// - Parameters: - attention: `α`, `[B, T, S]`. - links: per pair of the batch.
    public static func crossEntropy(attention: Tensor, links: [Set<AlignmentLink>], batch: Batch) -> Tensor {
        let (gold, aligned) = targets(links, batch: batch)
        precondition(attention.shape == gold.shape, "guided alignment: attention \(attention.shape), batch \(gold.shape)")
        return ((attention + epsilon).log() * gold).sum() * (-1 / Float(Swift.max(aligned, 1)))
    }
}

/// The loss term `λ · CE(α, A)` of one pass, on the batch's gold links.
final class GuidedAlignmentLoss: LossTerm {
    let attention: Tensor
    let weight: Float

    init(attention: Tensor, weight: Float) {
        self.attention = attention
        self.weight = weight
    }

    func loss(_ outcome: PassOutcome) -> Tensor {
        guard let links = outcome.batch.alignments else { return Tensor(0) }
        return GuidedAlignment.crossEntropy(attention: attention, links: links, batch: outcome.batch) * weight
    }
}

/// Why gold links for a training corpus cannot be used: each case renders as the one line the
/// CLI prints.
public enum GoldAlignmentError: Error, Equatable, CustomStringConvertible {
    case lineCountMismatch(path: String, lines: Int, pairs: Int)
    case malformedLink(path: String, line: Int, token: String)
    case linkOutOfRange(path: String, line: Int, link: AlignmentLink, sourceWords: Int, targetWords: Int)

    public var description: String {
        switch self {
        case let .lineCountMismatch(path, lines, pairs):
            "alignments \(path) have \(lines) lines but the training corpus has \(pairs) sentence pairs"
        case let .malformedLink(path, line, token):
            "\(path):\(line): '\(token)' is not a Pharaoh link i-j (two non-negative integers)"
        case let .linkOutOfRange(path, line, link, sourceWords, targetWords):
            "\(path):\(line): link \(link) is outside the pair (\(sourceWords) source words, \(targetWords) target words)"
        }
    }
}

/// Gold word alignments of a training corpus, one Pharaoh line per sentence pair.
public enum GoldAlignments {
    /// The links of every pair of `corpus`, line `i` for pair `i`.
    /// - Throws: `TextFileError` when the file cannot be read, `GoldAlignmentError` when it has
    ///   another number of lines than the corpus has pairs, or a link that is malformed or names
    ///   a word its pair does not have.
    public static func load(path: String, corpus: ParallelCorpus) throws -> [Set<AlignmentLink>] {
        let lines = try TextLines.read(path: path)
        guard lines.count == corpus.count else {
            throw GoldAlignmentError.lineCountMismatch(path: path, lines: lines.count, pairs: corpus.count)
        }
        return try lines.enumerated().map { index, line in
            let links: Set<AlignmentLink>
            do { links = try Pharaoh.links(in: line, lineNumber: index + 1) } catch MetricError.malformedLink(let number, let token) {
                throw GoldAlignmentError.malformedLink(path: path, line: number, token: token)
            }
            let (sources, targets) = (corpus.sources[index].count, corpus.targets[index].count)
            if let outside = links.sorted().first(where: { $0.source >= sources || $0.target >= targets }) {
                throw GoldAlignmentError.linkOutOfRange(path: path, line: index + 1, link: outside, sourceWords: sources, targetWords: targets)
            }
            return links
        }
    }
}
