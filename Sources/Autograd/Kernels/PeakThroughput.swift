import CKernels
import Dispatch

/// The machine's ceiling for each matrix path, measured: what no kernel here can beat.
///
/// fp32: twelve independent `SIMD16<Float>` multiply-add chains per thread hide the FMA latency
/// on both FMA ports, with no memory traffic; each FMA counts as 2 × 16 flops. bf16: the same
/// with twelve `vdpbf16ps` chains (2 × 32 flops each), or four `tdpbf16ps` into four AMX tiles
/// (2 × 16 × 16 × 32 flops each), from C (`CKernels/peak.c`).
public enum PeakThroughput {
    /// GFLOP/s of `threads` threads each running `path`'s instruction: the best of 2-ms samples
    /// that together last about `seconds`. On a shared machine noise only ever slows a sample,
    /// and a short one is likelier to run undisturbed.
    public static func measure(_ path: MatrixPath = .fp32, threads: Int, seconds: Double = 0.5) -> Double {
        let samples = max(10, Int(seconds / 0.002))
        return (0..<samples).map { _ in sample(path, threads: threads, seconds: seconds / Double(samples)) }.max() ?? 0
    }

    private static func sample(_ path: MatrixPath, threads: Int, seconds: Double) -> Double {
        precondition(path.isAvailable, "measure only a path this CPU has")
        // Flops per round, and rounds per second roughly, so that a run lasts about `seconds`.
        let (flops, roundsPerSecond): (Double, Double) = switch path {
        case .fp32: (12 * 32, 3e8)
        case .avx512bf16: (12 * 64, 3e8)
        case .amx: (4 * 16_384, 1e7)
        }
        let rounds = max(1, Int(seconds * roundsPerSecond))
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            switch path {
            case .fp32: sink(chains(rounds))
            case .avx512bf16: sink(attend_peak_avx512bf16(rounds))
            case .amx:
                attend_amx_configure()
                sink(attend_peak_amx(rounds))
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return Double(threads * rounds) * flops / elapsed * 1e-9
    }
    @inline(never) private static func sink(_ value: Float) { if value == 42 { print("") } }

    @inline(never) private static func chains(_ iterations: Int) -> Float {
        var a0 = SIMD16<Float>(repeating: 1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0
        var a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0
        let x = SIMD16<Float>(repeating: 0.999_999), y = SIMD16<Float>(repeating: 1e-7)
        for _ in 0..<iterations {
            a0 = a0.addingProduct(x, y); a1 = a1.addingProduct(x, y); a2 = a2.addingProduct(x, y)
            a3 = a3.addingProduct(x, y); a4 = a4.addingProduct(x, y); a5 = a5.addingProduct(x, y)
            a6 = a6.addingProduct(x, y); a7 = a7.addingProduct(x, y); a8 = a8.addingProduct(x, y)
            a9 = a9.addingProduct(x, y); a10 = a10.addingProduct(x, y); a11 = a11.addingProduct(x, y)
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
    }
}
