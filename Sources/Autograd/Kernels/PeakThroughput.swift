import Dispatch

/// The machine's float32 FMA ceiling, measured: what no kernel here can beat.
///
/// Twelve independent `SIMD16<Float>` multiply-add chains per thread hide the FMA latency on
/// both FMA ports, with no memory traffic; each FMA counts as 2 × 16 flops.
public enum PeakThroughput {
    /// GFLOP/s of `threads` threads each running pure FMAs for `iterations` rounds.
    public static func measure(threads: Int, iterations: Int = 50_000_000) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { _ in sink(chains(iterations)) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        return Double(threads * iterations * 12 * 32) / seconds * 1e-9
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
