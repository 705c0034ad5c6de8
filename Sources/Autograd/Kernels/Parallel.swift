import Foundation
import Synchronization

/// A persistent pool of worker threads for splitting a kernel's work across cores.
///
/// `DispatchQueue.concurrentPerform` wakes its threads on every call (~45 µs measured here),
/// which is as long as a whole batch-64 recurrent step's matrix product. These workers instead
/// spin on one shared word for a while after each job, so back-to-back jobs start within a
/// microsecond or so, and only then go to sleep on a condition variable.
///
/// Work is handed out by claiming: the caller and every awake worker repeatedly take the next
/// unclaimed task index until none is left. A worker that is still asleep (or not yet
/// scheduled) when a job starts therefore does not hold it up: the caller runs the tasks the
/// worker has not claimed. Only a task already claimed is waited for.
///
/// `run` is safe from any thread. Only one job uses the workers at a time; a call that finds
/// the pool busy (another thread's job, or a task that itself calls `run`) runs its tasks
/// serially on its own thread, so calls never wait on each other and cannot deadlock.
public enum Parallel {
    /// How many threads (the caller included) a job may use; `1` disables the pool.
    ///
    /// Defaults to the number of active processors, capped at 8; values are clamped to `1...8`.
    /// Workers are started on first use, `threadCount − 1` of them, and then kept.
    public static var threadCount: Int {
        get { Pool.shared.threadCount.load(ordering: .relaxed) }
        set { Pool.shared.threadCount.store(max(1, min(newValue, Pool.maximumThreads)), ordering: .relaxed) }
    }

    /// Whether a job holds the pool: a product called now runs inside one of its tasks (or on
    /// another thread beside it), on one thread.
    static var isRunningJob: Bool { Pool.shared.busy.load(ordering: .relaxed) }

    /// Runs `body(index)` once for every `index` in `0..<tasks`, spread over up to
    /// `threadCount` threads, and returns when all have finished.
    ///
    /// Tasks run concurrently and in no particular order; `body` must not depend on either.
    public static func run(tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 0 else { return }
        let pool = Pool.shared
        if tasks == 1 || pool.threadCount.load(ordering: .relaxed) <= 1 || !pool.acquire() {
            for index in 0..<tasks { body(index) }
            return
        }
        defer { pool.release() }
        // A job's task count shares one atomic word with its generation and next index
        // (`Pool.claimBits` bits each), so very large jobs go through in rounds.
        var first = 0
        while first < tasks {
            let count = min(tasks &- first, Pool.maximumTasks)
            withoutActuallyEscaping(body) { escapable in
                pool.perform(tasks: count, offset: first, escapable)
            }
            first &+= count
        }
    }
}

/// The shared state behind `Parallel`.
private final class Pool: @unchecked Sendable {
    static let shared = Pool()
    static let maximumThreads = 8
    static let claimBits = 20
    static let maximumTasks = 1 << claimBits - 1
    /// How long an idle worker keeps spinning before it sleeps: long enough to cover the gap
    /// between the matrix products of consecutive recurrent steps, short enough not to hold
    /// a core through a pause of the training loop.
    static let spinNanoseconds: UInt64 = 200_000

    let threadCount: Atomic<Int>
    /// `generation << 40 | tasks << 20 | next`: the current job's claim word. A worker's
    /// compare-exchange on the whole word fails if a newer job replaced the one it looked at.
    let claim = Atomic<UInt64>(0)
    /// Tasks of the current job that have completed.
    let finished = Atomic<Int>(0)
    /// Set while one caller owns the workers.
    let busy = Atomic<Bool>(false)
    /// Workers blocked (or about to block) on `condition`.
    let sleepers = Atomic<Int>(0)
    private var workerCount = 0
    private var generation: UInt64 = 0
    /// The current job's body. Written only by the owning caller before it publishes the claim
    /// word and cleared after every task finished; read by a worker only after it claimed a task.
    private var job: ((Int) -> Void)?
    /// Added to a claimed index before it is passed to `job`.
    private var jobOffset = 0
    // Heap-allocated: pthread objects must not move, and `&property` of a class does not
    // promise a stable address.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init() {
        threadCount = Atomic(max(1, min(ProcessInfo.processInfo.activeProcessorCount, Pool.maximumThreads)))
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    func acquire() -> Bool { busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged }

    func release() { busy.store(false, ordering: .releasing) }

    /// Runs `body(offset + i)` for `i` in `0..<tasks`, `tasks ≤ maximumTasks`; the caller owns the pool.
    func perform(tasks: Int, offset: Int, _ body: @escaping (Int) -> Void) {
        let wanted = threadCount.load(ordering: .relaxed) &- 1
        while workerCount < wanted { startWorker() }
        job = body
        jobOffset = offset
        finished.store(0, ordering: .relaxed)
        generation = (generation &+ 1) & (1 << 24 - 1)
        let word = generation << 40 | UInt64(tasks) << 20
        // Sequentially consistent with the sleepers count below (and the worker's mirror image):
        // either this caller sees a sleeper and signals, or the worker sees the new job.
        claim.store(word, ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
        while let index = claimTask() { body(offset &+ index); finished.add(1, ordering: .releasing) }
        while finished.load(ordering: .acquiring) < tasks {}
        job = nil
    }

    /// Takes the next unclaimed task of the current job, or `nil` when there is none.
    func claimTask() -> Int? {
        var word = claim.load(ordering: .acquiring)
        while true {
            let next = Int(word & UInt64(Pool.maximumTasks))
            let tasks = Int(word >> 20 & UInt64(Pool.maximumTasks))
            guard next < tasks else { return nil }
            let (exchanged, original) = claim.compareExchange(
                expected: word, desired: word &+ 1, ordering: .acquiringAndReleasing)
            if exchanged { return next }
            word = original
        }
    }

    /// Whether the current job still has an unclaimed task.
    func hasWork() -> Bool {
        let word = claim.load(ordering: .sequentiallyConsistent)
        return word & UInt64(Pool.maximumTasks) < word >> 20 & UInt64(Pool.maximumTasks)
    }

    private func startWorker() {
        workerCount += 1
        let thread = Thread { [unowned self] in self.workerLoop() }
        thread.name = "Parallel worker \(workerCount)"
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func workerLoop() {
        var idleSince = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while true {
            if let index = claimTask() {
                let start = OpTimes.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
                runClaimed(index)
                if start != 0 { OpTimes.workerBusy.add(DispatchTime.now().uptimeNanoseconds &- start, ordering: .relaxed) }
                // Counted before the clock is read: the caller may be waiting for this task.
                finished.add(1, ordering: .releasing)
                spins = 0
                idleSince = DispatchTime.now().uptimeNanoseconds
                continue
            }
            spins &+= 1
            // Reading the clock costs ~20 ns: only every 256 polls.
            guard spins & 255 == 0,
                  DispatchTime.now().uptimeNanoseconds &- idleSince > Pool.spinNanoseconds else { continue }
            pthread_mutex_lock(mutex)
            sleepers.add(1, ordering: .sequentiallyConsistent)
            while !hasWork() {
                pthread_cond_wait(condition, mutex)
            }
            sleepers.subtract(1, ordering: .sequentiallyConsistent)
            pthread_mutex_unlock(mutex)
            idleSince = DispatchTime.now().uptimeNanoseconds
        }
    }

    /// Runs a claimed task. Not inlined so that the worker's reference to the job closure is
    /// released before the task is counted as finished (the caller then checks that the
    /// closure did not escape).
    @inline(never)
    private func runClaimed(_ index: Int) {
        guard let body = job else { return }
        body(jobOffset &+ index)
    }
}
