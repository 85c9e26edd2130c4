import CSwivelLinux
import Glibc

/// An interface name kept as a NUL-terminated C string, built once: the datapath checks its devices
/// every second, and converting a Swift String each time would allocate.
public struct InterfaceName: Sendable, CustomStringConvertible {
    public let name: String
    let cString: [CChar]
    public init(_ name: String) {
        self.name = name
        cString = Array(name.utf8CString)
    }
    public var description: String { name }
    func withPointer<T>(_ body: (UnsafePointer<CChar>) -> T) -> T { cString.withUnsafeBufferPointer { body($0.baseAddress!) } }
}

/// Facts about a network interface by name, read through the C shim's ifreq helpers.
public enum LinkInfo {
    public static func index(of name: InterfaceName) -> Int32? {
        let i = name.withPointer { if_nametoindex($0) }
        return i == 0 ? nil : Int32(i)
    }
    public static func mtu(of name: InterfaceName) -> Int? {
        var mtu: Int32 = 0
        return name.withPointer { vsw_if_get_mtu($0, &mtu) } == 0 ? Int(mtu) : nil
    }
    /// Administratively up and with carrier (IFF_UP and IFF_RUNNING).
    public static func isRunning(_ name: InterfaceName) -> Bool? {
        var flags: Int32 = 0
        guard name.withPointer({ vsw_if_get_flags($0, &flags) }) == 0 else { return nil }
        return flags & Int32(IFF_UP) != 0 && flags & Int32(IFF_RUNNING) != 0
    }
    public static func setUp(_ name: InterfaceName) -> Int32 { name.withPointer { vsw_if_set_up($0) } }
}
