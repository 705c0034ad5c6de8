import Autograd

/// Which attention an RNN decoder uses: the registry of attention variants.
///
/// An entry names the variant (`--attention NAME`, what checkpoints store), says where the
/// decoder consults it (`Placement`) and how to build it. Each variant declares its entry in
/// its own file (`static let bahdanau = AttentionKind(…)` beside `BahdanauAttention`), and
/// `allCases` lists them: adding a variant is one file and one line here.
public struct AttentionKind: RawRepresentable, Hashable, CaseIterable, Codable, Sendable, CustomStringConvertible {
    /// Every variant, in the order the help lists them.
    public static let allCases: [AttentionKind] = [
        .none, .bahdanau, .luongDot, .luongGeneral, .luongConcat, .localMonotonic, .localPredictive, .hard,
    ]

    /// Builds a variant's mechanism for the given widths, drawing its initial weights from `generator`.
    public typealias Builder = @Sendable (_ shape: AttentionShape, _ generator: inout SeededGenerator) -> any AttentionMechanism

    /// Where an RNN decoder consults attention at step `t` — the three designs of the literature.
    public enum Placement: Sendable {
        /// None: the decoder reads the encoder's summary instead (Sutskever et al. 2014; Cho et al. 2014).
        case none
        /// Queried with the previous state `s_{t−1}`; the context joins the recurrent input (Bahdanau et al. 2015).
        case beforeRecurrence(Builder)
        /// Queried with the new state `h_t`; the context enters the attentional layer
        /// `h̃_t = tanh(W_c [c_t; h_t])`, fed to the next step (Luong et al. 2015, §3.1, §3.3).
        case afterRecurrence(Builder)
    }

    /// `bahdanau`, `local-m`, …
    public let rawValue: String
    public let placement: Placement
    /// Whether the variant looks only at a window of `2D + 1` source positions (Luong §3.2),
    /// and so reads `--window`.
    public let isLocal: Bool
    /// Whether its score can read a coverage vector (`--coverage`): the additive scores
    /// (Tu et al. 2016; See et al. 2017).
    public let takesCoverage: Bool
    /// A message when the variant cannot work with these widths, or `nil`.
    private let requirement: @Sendable (AttentionShape) -> String?

    /// - Parameters:
    ///   - requirement: what the variant needs of the widths (luong-dot: `M = H`).
    public init(_ name: String, placement: Placement, isLocal: Bool = false, takesCoverage: Bool = false,
                requirement: @escaping @Sendable (AttentionShape) -> String? = { _ in nil }) {
        rawValue = name
        self.placement = placement
        self.isLocal = isLocal
        self.takesCoverage = takesCoverage
        self.requirement = requirement
    }

    /// The registered variant of that name.
    public init?(rawValue: String) {
        guard let kind = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = kind
    }

    public var description: String { rawValue }

    /// Whether scores come from the current decoder state `h_t` (Luong) rather than `s_{t−1}`.
    public var isLuong: Bool {
        if case .afterRecurrence = placement { return true }
        return false
    }

    /// Whether the decoder gets attention weights from it (every variant but `none`).
    public var makesWeights: Bool {
        if case .none = placement { return false }
        return true
    }

    /// The first problem with building this variant for `shape`, or `nil`.
    public func problem(_ shape: AttentionShape) -> String? { requirement(shape) }

    /// A freshly initialised mechanism, or `nil` for `none`.
    public func makeMechanism(_ shape: AttentionShape, generator: inout SeededGenerator) -> (any AttentionMechanism)? {
        switch placement {
        case .none: nil
        case .beforeRecurrence(let build), .afterRecurrence(let build): build(shape, &generator)
        }
    }

    public static func == (a: AttentionKind, b: AttentionKind) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let kind = AttentionKind(rawValue: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown attention '\(name)'")
        }
        self = kind
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension AttentionKind {
    /// No attention: the decoder reads `[E y_{t−1}; c]` with `c` the encoder's summary, the same
    /// at every step (Sutskever et al. 2014; Cho et al. 2014).
    public static let none = AttentionKind("none", placement: .none)
}
