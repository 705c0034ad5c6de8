import Autograd
import Foundation

/// The process's peak resident set so far (`ru_maxrss` is in KiB on Linux, bytes on macOS).
func peakResidentMebibytes() -> Double {
    var usage = rusage()
    #if os(macOS)
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / (1024 * 1024)
    #else
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
    #endif
}

/// `peak memory 266 MiB resident (tensors: 120 MiB at most in use, 60 MiB kept for reuse)`.
func peakMemorySummary() -> String {
    let tensors = MemoryStatistics.current
    func mebibytes(_ bytes: Int) -> String { String(format: "%.0f", Double(bytes) / 1_048_576) }
    return String(format: "peak memory %.0f MiB resident", peakResidentMebibytes())
        + " (tensors: \(mebibytes(tensors.peakLiveBytes)) MiB at most in use, \(mebibytes(tensors.pooledBytes)) MiB kept for reuse)"
}
