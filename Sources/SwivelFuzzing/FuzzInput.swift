/// Reads a fuzzer's bytes as a sequence of choices. Past the end every read is 0, so any input, however
/// short, decodes to something, and the same input always decodes the same way.
public struct FuzzInput {
    let bytes: [UInt8]
    var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isExhausted: Bool { position >= bytes.count }
    public var remaining: Int { max(0, bytes.count - position) }

    public mutating func u8() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func u16() -> UInt16 { UInt16(u8()) << 8 | UInt16(u8()) }
    public mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }
    public mutating func bool() -> Bool { u8() & 1 == 1 }

    /// A number in 0..<count (count > 0).
    public mutating func below(_ count: Int) -> Int { Int(u8()) % max(1, count) }

    /// One of `choices` (not empty).
    public mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    /// Up to `limit` bytes of what is left (a length byte first).
    public mutating func take(upTo limit: Int) -> [UInt8] {
        let n = min(Int(u16()) % (limit + 1), remaining)
        defer { position += n }
        return Array(bytes[position..<position + n])
    }

    /// Everything left.
    public mutating func rest() -> [UInt8] {
        defer { position = bytes.count }
        return position < bytes.count ? Array(bytes[position...]) : []
    }
}
