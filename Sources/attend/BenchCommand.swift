/// `attend bench gemm`: placeholder until the GEMM benchmark lands.
enum BenchCommand: Subcommand {
    static let name = "bench"
    static let summary = "measure kernel throughput"
    static let usage = "usage: attend bench gemm --m M --n N --k K [--threads T]"
    static func run(_ arguments: inout Arguments) throws { throw CommandError.failure("not implemented yet") }
}
