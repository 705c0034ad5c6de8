import Autograd
import Foundation
import Seq2Seq

/// `attend bench train`: the time of one training step on synthetic data, for the same models
/// and shapes as the PyTorch reference (`../shared/reference/torch_bench.py`), so that the two
/// can be compared as a ratio.
///
/// A step is what `Trainer` does for each batch, without clipping (the reference does none):
/// the forward pass and mean token cross-entropy, `backward()`, one Adam step (`lr` 10⁻³) and
/// zeroing the gradients. The data is a pool of 8 fixed random batches, cycled, every row
/// exactly `S` source and `T` target positions long, so a step counts `B · T` target tokens.
struct TrainingBench {
    enum ModelKind: String {
        case gruBahdanau = "gru-bahdanau"
        case transformer
    }

    static let usage = """
               attend bench train --model gru-bahdanau|transformer [--threads T] [--steps N] [--warmup N]
                                  [--batch B] [--src-len S] [--tgt-len T] [--vocab V] [--width W]
        """

    static let trainUsage = """
        train: time training steps of the model torch_bench.py (../shared/reference) trains, on the
        same synthetic workload: a pool of 8 random batches (ids 4 … V−1, rows exactly S and T
        long), cycled; a step is forward + mean cross-entropy + backward + Adam (lr 0.001) + zeroing
        the gradients, without clipping or dropout. Prints one line: median / min / max step time
        over the timed steps, target tokens per second (B·T / median), the forward (with the loss),
        backward and optimizer (with the zeroing) medians, the loss of the first and last step, and
        the peak resident memory. Scripts/bench-vs-torch.sh runs both programs and prints the ratio.
          --model             gru-bahdanau: embeddings W, a bidirectional GRU encoder (W per direction),
                              a tanh bridge, a GRU decoder (hidden W) reading [E y_{t−1}; c_t] with
                              Bahdanau attention on s_{t−1}, a linear output layer
                              transformer: 3 + 3 post-norm layers, D = W, 4 heads, feed-forward 4·W,
                              ReLU, sinusoidal positions, untied output layer
          --threads T         Parallel.threadCount (default 2)
          --steps N           timed steps (default 30), after --warmup N untimed ones (default 5)
          --batch B (64)  --src-len S (20)  --tgt-len T (20)  --vocab V (1000, both sides)  --width W (256)
        As in every Attend batch, a source row ends with </s> and a target is read as <s> y₁ … and
        scored as … </s>: the shapes are torch_bench's, only those ids differ. Unlike torch_bench's
        nn.Transformer, Attend's post-norm Transformer has no final LayerNorm on its stacks.
        """

    static let seed: UInt64 = 1234
    static let poolSize = 8
    static let learningRate: Float = 1e-3

    var model: ModelKind
    var threads = 2
    var steps = 30
    var warmup = 5
    var batchSize = 64
    var sourceLength = 20
    var targetLength = 20
    var vocabularySize = 1000
    var width = 256

    /// Reads and checks the options after `attend bench train`.
    init(_ arguments: inout Arguments) throws {
        guard let name = try arguments.string("model") else { throw CommandError.usage("bench train needs --model gru-bahdanau or transformer") }
        guard let kind = ModelKind(rawValue: name) else {
            throw CommandError.usage("unknown --model '\(name)' (expected gru-bahdanau or transformer)")
        }
        model = kind
        threads = try arguments.int("threads") ?? threads
        steps = try arguments.int("steps") ?? steps
        warmup = try arguments.int("warmup") ?? warmup
        batchSize = try arguments.int("batch") ?? batchSize
        sourceLength = try arguments.int("src-len") ?? sourceLength
        targetLength = try arguments.int("tgt-len") ?? targetLength
        vocabularySize = try arguments.int("vocab") ?? vocabularySize
        width = try arguments.int("width") ?? width
        try arguments.finish()
        guard threads >= 1 else { throw CommandError.usage("--threads must be at least 1") }
        guard steps >= 1, warmup >= 0 else { throw CommandError.usage("--steps must be at least 1 and --warmup at least 0") }
        guard batchSize >= 1, sourceLength >= 1, targetLength >= 1, width >= 1 else {
            throw CommandError.usage("--batch, --src-len, --tgt-len and --width must be at least 1")
        }
        guard vocabularySize > SpecialToken.all.count else {
            throw CommandError.usage("--vocab must be more than \(SpecialToken.all.count) (the special tokens)")
        }
        if kind == .transformer, width % 4 != 0 { throw CommandError.usage("--width must be a multiple of 4 (the heads) for the transformer") }
        if let problem = configuration.problem() { throw CommandError.usage(problem) }
    }

    /// The configuration matching torch_bench.py's model of the same name.
    var configuration: StoredConfiguration {
        switch model {
        case .gruBahdanau:
            var c = RNNConfiguration()
            c.cell = .gru
            c.attention = .bahdanau
            c.layers = 1
            c.embeddingWidth = width
            c.hiddenWidth = width
            c.encoderWidth = width
            c.bidirectional = true
            c.dropout = 0
            c.sourceVocabularySize = vocabularySize
            c.targetVocabularySize = vocabularySize
            return .rnn(c)
        case .transformer:
            var c = TransformerConfiguration()
            c.modelWidth = width
            c.heads = 4
            c.layers = 3
            c.feedForwardWidth = 4 * width
            c.layerNorm = .post
            c.activation = .relu
            c.positions = .sinusoidal
            c.tieEmbeddings = false
            c.dropout = 0
            c.sourceVocabularySize = vocabularySize
            c.targetVocabularySize = vocabularySize
            return .transformer(c)
        }
    }

    /// `poolSize` batches of random ids in `4 ..< V`, `[B, S]` sources and `[B, T]` targets.
    ///
    /// `Batch` appends `</s>` to a source and shifts a target by one, so sentences of `S − 1`
    /// and `T − 1` words make rows of exactly `S` and `T` positions with no padding.
    func batchPool() -> [Batch] {
        var generator = SeededGenerator(seed: Self.seed &+ 1)
        let ids = SpecialToken.all.count..<vocabularySize
        func sentence(_ length: Int) -> [Int] { (0..<length).map { _ in Int.random(in: ids, using: &generator) } }
        return (0..<Self.poolSize).map { _ in
            let sources = (0..<batchSize).map { _ in sentence(sourceLength - 1) }
            let targets = (0..<batchSize).map { _ in sentence(targetLength - 1) }
            return Batch(sources: sources, targets: targets)
        }
    }

    /// Builds the model and runs `warmup + steps` training steps.
    func run() -> TrainingBenchResult {
        Parallel.threadCount = threads
        var generator = SeededGenerator(seed: Self.seed)
        let model = configuration.makeModel(generator: &generator)
        let optimizer = Adam(parameters: model.parameters, learningRate: Self.learningRate)
        let pool = batchPool()
        var context = ForwardContext(isTraining: true, generator: SeededGenerator(seed: Self.seed &+ 2))
        var result = TrainingBenchResult(model: self.model.rawValue, threads: Parallel.threadCount, parameters: model.parameterCount,
                                         tokensPerStep: batchSize * targetLength)
        for index in 0..<(warmup + steps) {
            let batch = pool[index % pool.count]
            let start = monotonicSeconds()
            var forwardEnd = 0.0
            let loss = withFrozenParameters {
                let loss = model.loss(batch, labelSmoothing: 0, context: &context)
                forwardEnd = monotonicSeconds()
                loss.backward()
                return loss
            }
            let backwardEnd = monotonicSeconds()
            optimizer.step()
            optimizer.zeroGradients()
            let end = monotonicSeconds()
            result.losses.append(loss.item)
            if index >= warmup {
                result.forward.append(forwardEnd - start)
                result.backward.append(backwardEnd - forwardEnd)
                result.optimizer.append(end - backwardEnd)
                result.step.append(end - start)
            }
        }
        return result
    }
}

/// Step times in seconds, one per timed step, and the loss of every step.
struct TrainingBenchResult {
    var model: String
    var threads: Int
    var parameters: Int
    var tokensPerStep: Int
    var step = [Double](), forward = [Double](), backward = [Double](), optimizer = [Double]()
    var losses = [Float]()

    /// The line torch_bench.py prints, field for field as far as it goes (it adds FLOPs), so
    /// that one pattern reads both.
    var line: String {
        let median = Self.median(step)
        func ms(_ seconds: Double) -> String { String(format: "%.2f", seconds * 1e3) }
        return "[\(model) threads=\(threads) \(GEMM.path.label)] params=\(parameters) step median \(ms(median)) ms "
            + "(min \(ms(step.min() ?? 0)), max \(ms(step.max() ?? 0))) -> "
            + String(format: "%.0f", Double(tokensPerStep) / median) + " tgt tok/s; "
            + "fwd \(ms(Self.median(forward))) bwd \(ms(Self.median(backward))) opt \(ms(Self.median(optimizer))) ms; "
            + String(format: "loss %.3f->%.3f", losses.first ?? .nan, losses.last ?? .nan)
            + String(format: "; peak RSS %.1f MiB", peakResidentMebibytes())
    }

    /// The middle value, or the mean of the two middle values (as Python's `statistics.median`).
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Seconds on the monotonic clock (the wall clock may jump), for the benchmarks.
func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

/// The process's peak resident set so far (`ru_maxrss` is in KiB on Linux, bytes on macOS).
private func peakResidentMebibytes() -> Double {
    var usage = rusage()
    #if os(macOS)
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024)
    #else
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
    #endif
}
