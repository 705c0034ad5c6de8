import Foundation

/// A 64-byte-aligned block of `Float`s, recycled through `BufferPool` when released.
///
/// Training repeats the same shapes step after step, so a freed block of one size is almost
/// always wanted again soon: recycling makes a step allocate (nearly) nothing.
public final class Storage {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    /// Uninitialised storage for `count` floats.
    public init(count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count: count)
    }

    /// Storage filled with `value`.
    public convenience init(count: Int, repeating value: Float) {
        self.init(count: count)
        pointer.update(repeating: value, count: count)
    }

    deinit { BufferPool.shared.give(pointer, count: count) }
}

/// Free lists of released buffers, keyed by exact element count.
///
/// Bounded by `maximumBytes`: past it, released buffers go back to the system.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var pooledBytes = 0
    private let maximumBytes = 1 << 30
    private let lock = NSLock()

    func take(count: Int) -> UnsafeMutablePointer<Float> {
        lock.lock()
        if let pointer = free[count]?.popLast() {
            pooledBytes -= count * 4
            lock.unlock()
            return pointer
        }
        lock.unlock()
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        lock.lock()
        if pooledBytes + count * 4 <= maximumBytes {
            free[count, default: []].append(pointer)
            pooledBytes += count * 4
            lock.unlock()
        } else {
            lock.unlock()
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }

    /// Returns every pooled buffer to the system.
    func drain() {
        lock.lock()
        for (_, list) in free { for pointer in list { UnsafeMutableRawPointer(pointer).deallocate() } }
        free = [:]
        pooledBytes = 0
        lock.unlock()
    }
}
