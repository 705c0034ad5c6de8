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
    /// The models `--model` names: every registered architecture's benchmarks.
    static var models: [Architecture.Benchmark] { Architecture.all.flatMap(\.benchmarks) }
    private static var modelNames: String { models.map(\.name).joined(separator: "|") }

    static var usage: String {
        """
               attend bench train --model \(modelNames) [--threads T] [--steps N] [--warmup N]
                                  [--batch B] [--src-len S] [--tgt-len T] [--vocab V] [--width W] [--dropout P] [--ops]
                                  [--products]
        """
    }

    static var trainUsage: String {
        let descriptions = models.map { "  \($0.name): " + $0.summary.replacingOccurrences(of: "\n", with: "\n    ") }
        return """
        train: time training steps of the model torch_bench.py (../shared/reference) trains, on the
        same synthetic workload: a pool of 8 random batches (ids 4 … V−1, rows exactly S and T
        long), cycled; a step is forward + mean cross-entropy + backward + Adam (lr 0.001) + zeroing
        the gradients, without clipping (nor dropout, unless --dropout). Prints one line: median / min /
        max step time over the timed steps, target tokens per second (B·T / median), the forward (with
        the loss), backward and optimizer (with the zeroing) medians, the loss of the first and last
        step, and the peak resident memory. Scripts/bench-vs-torch.sh runs both programs and prints the ratio.
        With --ops, a table follows: where the timed steps' time went, op by op (OpTimes). With
        --products, one more: every matrix product of the timed steps by shape, with the kernel it ran
        on, GFLOP/s and the share of the measured peak (ProductTimes).
        \(OptionHelp.lines(options, defaults: TrainingBench()))
        models (at width W):
        \(descriptions.joined(separator: "\n"))
        As in every Attend batch, a source row ends with </s> and a target is read as <s> y₁ … and
        scored as … </s>: the shapes are torch_bench's, only those ids differ. Unlike torch_bench's
        nn.Transformer, Attend's post-norm Transformer has no final LayerNorm on its stacks.
        """
    }

    static let seed: UInt64 = 1234
    static let poolSize = 8
    static let learningRate: Float = 1e-3

    var model = ""
    var steps = 30
    var warmup = 5
    var batchSize = 64
    var sourceLength = 20
    var targetLength = 20
    var vocabularySize = 1000
    var width = 256
    var dropout: Float = 0
    var ops = false
    var products = false
    var engine = EngineSettings()

    static var options: [Option<TrainingBench>] {
        [
            .text("model", \.model, valueName: modelNames, help: "which model (below)"),
            .integer("steps", \.steps, help: "timed steps"),
            .integer("warmup", \.warmup, help: "untimed steps before them"),
            .integer("batch", \.batchSize, valueName: "B", help: "sentence pairs per step"),
            .integer("src-len", \.sourceLength, valueName: "S", help: "source positions per row, </s> included"),
            .integer("tgt-len", \.targetLength, valueName: "T", help: "target positions per row"),
            .integer("vocab", \.vocabularySize, valueName: "V", help: "vocabulary size, both sides"),
            .integer("width", \.width, valueName: "W", help: "the model width"),
            .number("dropout", \.dropout, valueName: "P",
                    help: "dropout where the model's --dropout applies it (torch_bench.py --dropout also drops attention weights)"),
            .flag("ops", \.ops, help: "also time every op of the timed steps (a clock read per op and per task)"),
            .flag("products", \.products, help: "also time every matrix product of the timed steps, by shape (ProductTimes)"),
        ] + EngineSettings.options.map { $0.lifted(\.engine) }
    }

    private init() {}

    /// Reads and checks the options after `attend bench train`.
    init(_ arguments: inout Arguments) throws {
        try arguments.read(Self.options, into: &self)
        try arguments.finish()
        guard !model.isEmpty else { throw CommandError.usage("bench train needs --model \(Self.models.map(\.name).joined(separator: " or "))") }
        guard configuration != nil else {
            throw CommandError.usage("unknown --model '\(model)' (expected \(Self.models.map(\.name).joined(separator: " or ")))")
        }
        guard steps >= 1, warmup >= 0 else { throw CommandError.usage("--steps must be at least 1 and --warmup at least 0") }
        guard batchSize >= 1, sourceLength >= 1, targetLength >= 1, width >= 1 else {
            throw CommandError.usage("--batch, --src-len, --tgt-len and --width must be at least 1")
        }
        guard dropout >= 0 && dropout < 1 else { throw CommandError.usage("--dropout must be at least 0 and below 1") }
        guard vocabularySize > SpecialToken.all.count else {
            throw CommandError.usage("--vocab must be more than \(SpecialToken.all.count) (the special tokens)")
        }
        if let problem = configuration?.problem { throw CommandError.usage("--width \(width) does not fit \(model): \(problem)") }
    }

    /// The configuration matching torch_bench.py's model of the same name, if there is one.
    var configuration: ModelConfiguration? {
        Self.models.first { $0.name == model }?.configuration(width, vocabularySize, dropout)
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
    func run() throws -> TrainingBenchResult {
        guard let configuration else { throw CommandError.usage("unknown --model '\(self.model)'") }
        try engine.apply()
        var generator = SeededGenerator(seed: Self.seed)
        let model = configuration.makeModel(generator: &generator)
        let optimizer = Adam(parameters: model.parameters, learningRate: Self.learningRate)
        let pool = batchPool()
        var context = ForwardContext(isTraining: true, generator: SeededGenerator(seed: Self.seed &+ 2))
        var result = TrainingBenchResult(model: self.model, threads: Parallel.threadCount, parameters: model.parameterCount,
                                         tokensPerStep: batchSize * targetLength)
        defer { (OpTimes.isEnabled, ProductTimes.isEnabled) = (false, false) }
        for index in 0..<(warmup + steps) {
            let batch = pool[index % pool.count]
            if ops && index == warmup {
                OpTimes.isEnabled = true
                OpTimes.reset()
            }
            if products && index == warmup {
                ProductTimes.isEnabled = true
                ProductTimes.reset()
            }
            OpTimes.mark("between steps")
            let start = monotonicSeconds()
            var forwardEnd = 0.0
            let loss = withFrozenParameters {
                let loss = model.loss(batch, labelSmoothing: 0, context: &context)
                forwardEnd = monotonicSeconds()
                loss.backward()
                return loss
            }
            OpTimes.mark("backward, leaving the frozen-parameter scope")
            let backwardEnd = monotonicSeconds()
            optimizer.step()
            optimizer.zeroGradients()
            OpTimes.mark("optimizer (Adam, zeroing)")
            let end = monotonicSeconds()
            result.losses.append(loss.item)
            if index >= warmup {
                result.forward.append(forwardEnd - start)
                result.backward.append(backwardEnd - forwardEnd)
                result.optimizer.append(end - backwardEnd)
                result.step.append(end - start)
            }
        }
        if ops { result.ops = OpTimes.rows() }
        if products { result.products = ProductTimes.rows() }
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
    /// With `--ops`: each label's totals over the timed steps.
    var ops: [OpTimes.Row]? = nil
    /// With `--products`: each product shape's totals over the timed steps.
    var products: [ProductTimes.Row]? = nil

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

    /// With `--ops`, one line per label: calls, milliseconds of the calling thread and of the
    /// other threads' idling per step, the most time first, then their sums.
    var opsTable: String? {
        guard let ops else { return nil }
        let steps = Double(max(step.count, 1)), width = max(ops.map(\.label.count).max() ?? 0, 5)
        func row(_ label: String, _ calls: String, _ seconds: Double, _ idle: Double) -> String {
            label.padding(toLength: width, withPad: " ", startingAt: 0) + calls.leftPadded(to: 11)
                + String(format: "%.2f", seconds / steps * 1e3).leftPadded(to: 10)
                + String(format: "%.2f", idle / steps * 1e3).leftPadded(to: 14)
        }
        var lines = ["op".padding(toLength: width, withPad: " ", startingAt: 0) + "calls/step".leftPadded(to: 11)
                     + "ms/step".leftPadded(to: 10) + "idle ms/step".leftPadded(to: 14)]
        for op in ops {
            lines.append(row(op.label, String(format: "%g", Double(op.calls) / steps), op.seconds, op.idleSeconds))
        }
        lines.append(row("total", "", ops.map(\.seconds).reduce(0, +), ops.map(\.idleSeconds).reduce(0, +)))
        lines.append("(per timed step: the calling thread's time charged to each op, a forward op's since the op before it;"
                     + " idle: the other threads' time not running a task meanwhile)")
        return lines.joined(separator: "\n")
    }

    /// The middle value, or the mean of the two middle values (as Python's `statistics.median`).
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

extension String {
    /// The string with spaces before it, `width` characters in all (or as it is if longer).
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}

/// Seconds on the monotonic clock (the wall clock may jump), for the benchmarks.
func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

extension TrainingBenchResult {
    /// With `--products`, one line per product shape: the kernel it ran on, calls and
    /// milliseconds per step, GFLOP/s and the share of the measured peak of as many threads as
    /// it could use (one inside a task), the most time first.
    var productsTable: String? {
        guard let products else { return nil }
        let steps = Double(max(step.count, 1)), threads = Parallel.threadCount
        var peaks: [String: Double] = [:]  // GFLOP/s by kernel and thread count, measured once each
        func peak(_ kernel: MatrixPath, _ threads: Int) -> Double {
            let key = "\(kernel) \(threads)"
            if let known = peaks[key] { return known }
            let measured = PeakThroughput.measure(kernel, threads: threads, seconds: 0.2)
            peaks[key] = measured
            return measured
        }
        let width = max(products.map { $0.shape.label.count + ($0.shape.inTask ? 10 : 0) }.max() ?? 0, 7)
        var lines = ["product".padding(toLength: width, withPad: " ", startingAt: 0) + "kernel".leftPadded(to: 12)
                     + "calls/step".leftPadded(to: 11) + "ms/step".leftPadded(to: 9) + "GFLOP/s".leftPadded(to: 9)
                     + "of peak".leftPadded(to: 9)]
        for row in products {
            let shape = row.shape
            let kernel = GEMM.bf16Kernel(path: GEMM.path, m: shape.m, n: shape.n, k: shape.k)
            let rate = shape.flops * Double(row.calls) / max(row.seconds, 1e-12) / 1e9
            let label = shape.label + (shape.inTask ? " (a task)" : "")
            lines.append(label.padding(toLength: width, withPad: " ", startingAt: 0) + kernel.rawValue.leftPadded(to: 12)
                         + String(format: "%g", Double(row.calls) / steps).leftPadded(to: 11)
                         + String(format: "%.2f", row.seconds / steps * 1e3).leftPadded(to: 9)
                         + String(format: "%.1f", rate).leftPadded(to: 9)
                         + String(format: "%.0f%%", 100 * rate / peak(kernel, shape.inTask ? 1 : threads)).leftPadded(to: 9))
        }
        lines.append("(per timed step: each call from entry to return on the thread that made it; (a task): run inside"
                     + " a task of the pool, its time summed over the threads, its peak one thread's)")
        return lines.joined(separator: "\n")
    }
}
