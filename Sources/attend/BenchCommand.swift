import Autograd
import Foundation

/// `attend bench gemm`: the throughput of `GEMM.multiply` on one shape, checked against the
/// naive loop; `attend bench train`: training-step time against the PyTorch reference
/// (`TrainingBench`).
///
/// The figure is `2·m·n·k` floating-point operations over the best (shortest) time per call.
/// Shared machines are noisy, and noise only ever adds time, so the minimum over many samples
/// is the stablest estimate of what the kernel itself costs.
enum BenchCommand: Subcommand {
    static let name = "bench"
    static let summary = "measure kernel throughput and training speed"
    static let usage = """
        usage: attend bench gemm --m M --n N --k K [--threads T] [--repeat R] [--transpose-a] [--transpose-b] [--packed-b] [--cold] [--precision P] [--tile T]
               attend bench fma        the machine's fp32 FMA ceiling on 1 and 2 threads, for scale
               attend bench amx        the bf16 ceilings: vdpbf16ps (AVX512-BF16) and tdpbf16ps (AMX), where present
        \(TrainingBench.usage)

          --m, --n, --k     C = op(A)·op(B) with op(A) [M, K], op(B) [K, N] (each ≥ 1)
          --repeat R        timed samples; the best one is reported (default 20)
          --packed-b        B is packed once, before timing, as a recurrent step's weights are
          --cold            every timed call finds its operands out of the caches (64 MiB written before
                            it), as a training step's products mostly do; otherwise they stay cached
          --transpose-a     A is stored [K, M] and used transposed
          --transpose-b     B is stored [N, K] and used transposed
          --tile amx|avx512bf16
                            on the AMX path, run the shape on this tile whatever its size (to find the
                            smallest product worth the AMX tiles: GEMM.amxMinimumExtent)
        \(OptionHelp.lines(EngineSettings.options, defaults: EngineSettings()))

        \(TrainingBench.trainUsage)
        """

    static func run(_ arguments: inout Arguments) throws {
        guard let benchmark = arguments.positional() else { throw CommandError.usage("missing benchmark name (gemm, fma, amx or train)") }
        if benchmark == "train" {
            let result = try TrainingBench(&arguments).run()
            print(result.line)
            if let table = result.opsTable { print(table) }
            if let table = result.productsTable { print(table) }
            return
        }
        if benchmark == "fma" || benchmark == "amx" {
            try arguments.finish()
            printPeaks(benchmark == "fma" ? [.fp32] : [.avx512bf16, .amx])
            return
        }
        guard benchmark == "gemm" else { throw CommandError.usage("unknown benchmark '\(benchmark)' (expected gemm, fma, amx or train)") }
        guard let m = try arguments.int("m"), let n = try arguments.int("n"), let k = try arguments.int("k") else {
            throw CommandError.usage("--m, --n and --k are required")
        }
        let samples = try arguments.int("repeat") ?? 20
        let transposeA = arguments.flag("transpose-a")
        let transposeB = arguments.flag("transpose-b")
        let packsB = arguments.flag("packed-b")
        let cold = arguments.flag("cold")
        let tile = try arguments.string("tile")
        var engine = EngineSettings()
        try arguments.read(EngineSettings.options, into: &engine)
        try arguments.finish()
        guard m >= 1, n >= 1, k >= 1 else { throw CommandError.usage("--m, --n and --k must be at least 1") }
        guard samples >= 1 else { throw CommandError.usage("--repeat must be at least 1") }
        let largest = max(Double(m) * Double(k), Double(k) * Double(n), Double(m) * Double(n))
        guard largest <= 0x1p28 else { throw CommandError.failure("matrices of more than 2^28 elements are not supported") }

        try engine.apply()
        if let tile {
            guard GEMM.path == .amx else { throw CommandError.usage("--tile chooses between the AMX path's tiles; this run's path is \(GEMM.path.label)") }
            switch tile {
            case "amx": GEMM.amxMinimumExtent = 1
            case "avx512bf16": GEMM.amxMinimumExtent = .max
            default: throw CommandError.usage("--tile \(tile): expected amx or avx512bf16")
            }
        }
        let bench = GEMMBench(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, packsB: packsB)
        defer { bench.deallocate() }
        let seconds = cold ? bench.bestColdSeconds(samples: samples) : bench.bestSeconds(samples: samples)
        let gflops = 2 * Double(m) * Double(n) * Double(k) / seconds / 1e9
        let flags = (transposeA ? " transpose-a" : "") + (transposeB ? " transpose-b" : "") + (packsB ? " packed-b" : "")
            + (cold ? " cold" : "")
        // On the AMX path a product short of an AMX block runs on the AVX512-BF16 tile: its peak is the scale.
        let kernel = GEMM.bf16Kernel(path: GEMM.path, m: m, n: n, k: k)
        let label = kernel == GEMM.path ? GEMM.path.label : "\(GEMM.path.label), this shape on the \(kernel.label) tile"
        let peak = PeakThroughput.measure(kernel, threads: Parallel.threadCount, seconds: 0.3)
        print("gemm m=\(m) n=\(n) k=\(k)\(flags) threads=\(Parallel.threadCount) \(label): "
              + "\(format(gflops, 1)) GFLOP/s (best of \(samples), \(formatDuration(seconds))), "
              + "\(format(100 * gflops / peak, 0))% of the measured peak \(format(peak, 0))")

        let (error, checkedRows) = bench.maximumRelativeError()
        // bf16 is checked against the exact product of the bf16-rounded operands.
        let tolerance = GEMM.path.isBF16 ? 1e-5 : max(1e-4, Double(k) * 0x1p-24)
        let scope = checkedRows == m ? "" : " (\(checkedRows) of \(m) rows)"
        let verdict = error <= tolerance ? "ok" : "FAILED, tolerance \(String(format: "%.1e", tolerance))"
        print("check: max relative error \(String(format: "%.1e", error)) vs naive loop\(scope): \(verdict)")
        guard error <= tolerance else { throw CommandError.failure("GEMM result differs from the naive loop") }
    }

    /// Each path's ceiling on 1 and 2 threads, or why it cannot be measured here.
    private static func printPeaks(_ paths: [MatrixPath]) {
        for path in paths {
            let name = path == .fp32 ? "fma" : path.rawValue
            guard path.isAvailable else {
                print("\(name) peak: this CPU has no \(path.label)")
                continue
            }
            for threads in [1, 2] {
                print("\(name) peak threads=\(threads): \(format(PeakThroughput.measure(path, threads: threads, seconds: 1), 1)) GFLOP/s")
            }
        }
    }

    private static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }

    private static func formatDuration(_ seconds: Double) -> String {
        seconds >= 1e-3 ? "\(format(seconds * 1e3, 2)) ms" : "\(format(seconds * 1e6, 2)) µs"
    }
}

/// Operands for one benchmarked shape, with uniform(-1, 1) entries from a fixed seed.
private struct GEMMBench {
    let m: Int, n: Int, k: Int
    let transposeA: Bool, transposeB: Bool
    let a: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>
    /// `op(B)` packed beforehand, with `--packed-b`.
    let packedB: PackedMatrix?
    /// Stored row lengths: `A` is `[m, k]` (or `[k, m]`), `B` `[k, n]` (or `[n, k]`).
    var lda: Int { transposeA ? m : k }
    var ldb: Int { transposeB ? k : n }

    init(m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, packsB: Bool = false) {
        (self.m, self.n, self.k, self.transposeA, self.transposeB) = (m, n, k, transposeA, transposeB)
        var generator = SeededGenerator(seed: 2024)
        a = .allocate(capacity: m * k)
        b = .allocate(capacity: k * n)
        c = .allocate(capacity: m * n)
        for i in 0..<m * k { a[i] = generator.uniform(-1, 1) }
        for i in 0..<k * n { b[i] = generator.uniform(-1, 1) }
        c.initialize(repeating: .nan, count: m * n)  // beta = 0 must not read it
        packedB = packsB ? PackedMatrix(transposed: transposeB, k: k, n: n, b: b, ldb: transposeB ? k : n) : nil
    }

    func deallocate() {
        a.deallocate()
        b.deallocate()
        c.deallocate()
    }

    func multiply() {
        if let packedB {
            GEMM.multiply(transposeA: transposeA, m: m, n: n, k: k, a: a, lda: lda, packedB: packedB, fallback: b, ldb: ldb,
                          c: c, ldc: n)
            return
        }
        GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: n)
    }

    /// The shortest time per call over `samples` samples. Each sample times enough back-to-back
    /// calls to last about a millisecond, so that clock resolution does not matter for tiny shapes.
    func bestSeconds(samples: Int) -> Double {
        // Warm-up: page in the operands, grow the packing buffers, start the pool's workers.
        var calls = 0
        let warmUpStart = monotonicSeconds()
        while calls < 3 || (monotonicSeconds() - warmUpStart < 0.05 && calls < 1000) {
            multiply()
            calls += 1
        }
        let perCall = (monotonicSeconds() - warmUpStart) / Double(calls)
        let batch = max(1, min(100_000, Int(1e-3 / perCall)))
        var best = Double.infinity
        for _ in 0..<samples {
            let start = monotonicSeconds()
            for _ in 0..<batch { multiply() }
            best = min(best, (monotonicSeconds() - start) / Double(batch))
        }
        return best
    }

    /// The shortest time of one call over `samples` calls, each made after writing 64 MiB (twice
    /// this machine family's last-level cache) so that it reads `A` and `B` from memory and writes
    /// `C` to lines it must fetch first, as in a training step, where each product's operands were
    /// written by ops long before.
    func bestColdSeconds(samples: Int) -> Double {
        let evictionCount = 16 << 20
        let eviction = UnsafeMutablePointer<Float>.allocate(capacity: evictionCount)
        defer { eviction.deallocate() }
        multiply()  // grows the packing buffers and starts the workers
        var best = Double.infinity
        for sample in 0..<samples {
            eviction.update(repeating: Float(sample), count: evictionCount)
            let start = monotonicSeconds()
            multiply()
            best = min(best, monotonicSeconds() - start)
        }
        return best
    }

    /// `max |C − naive| / (|op(A)|·|op(B)|)` entry by entry (the scale a float32 dot product's
    /// rounding error is proportional to), over all rows of `C` when that is cheap, else over
    /// 16 rows spread across it including the first and last.
    func maximumRelativeError() -> (error: Double, rows: Int) {
        let rows = m * n * k <= 1 << 24 || m <= 16 ? Array(0..<m)
            : (0..<16).map { $0 * (m - 1) / 15 }
        let absoluteA = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let absoluteB = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        let reference = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let scale = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { [absoluteA, absoluteB, reference, scale].forEach { $0.deallocate() } }
        let rounding = GEMM.path.isBF16
        let roundedA = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let roundedB = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        defer { [roundedA, roundedB].forEach { $0.deallocate() } }
        for i in 0..<m * k { roundedA[i] = rounding ? BFloat16.round(a[i]) : a[i]; absoluteA[i] = abs(roundedA[i]) }
        for i in 0..<k * n { roundedB[i] = rounding ? BFloat16.round(b[i]) : b[i]; absoluteB[i] = abs(roundedB[i]) }
        var worst = 0.0
        for row in rows {
            // Row `row` of op(A) starts at a + row·lda, or (transposed) at a + row with stride lda.
            let offset = transposeA ? row : row * lda
            GEMM.naive(transposeA: transposeA, transposeB: transposeB, m: 1, n: n, k: k,
                       a: roundedA + offset, lda: lda, b: roundedB, ldb: ldb, c: reference, ldc: n)
            GEMM.naive(transposeA: transposeA, transposeB: transposeB, m: 1, n: n, k: k,
                       a: absoluteA + offset, lda: lda, b: absoluteB, ldb: ldb, c: scale, ldc: n)
            for j in 0..<n {
                let difference = abs(Double(c[row * n + j]) - Double(reference[j]))
                let relative = difference / max(Double(scale[j]), Double(Float.leastNormalMagnitude))
                // NaN (a kernel that read the NaN-filled C) must fail the check, not vanish in max.
                worst = relative.isNaN ? .infinity : max(worst, relative)
            }
        }
        return (worst, rows.count)
    }
}
