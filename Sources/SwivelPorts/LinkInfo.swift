import CSwivelLinux
import Glibc

/// Facts about a network interface by name, read through the C shim's ifreq helpers.
public enum LinkInfo {
    public static func index(of name: String) -> Int32? {
        let i = if_nametoindex(name)
        return i == 0 ? nil : Int32(i)
    }
    public static func mtu(of name: String) -> Int? {
        var mtu: Int32 = 0
        return vsw_if_get_mtu(name, &mtu) == 0 ? Int(mtu) : nil
    }
    /// Administratively up and with carrier (IFF_UP and IFF_RUNNING).
    public static func isRunning(_ name: String) -> Bool? {
        var flags: Int32 = 0
        guard vsw_if_get_flags(name, &flags) == 0 else { return nil }
        return flags & Int32(IFF_UP) != 0 && flags & Int32(IFF_RUNNING) != 0
    }
    public static func setUp(_ name: String) -> Int32 { vsw_if_set_up(name) }
}
