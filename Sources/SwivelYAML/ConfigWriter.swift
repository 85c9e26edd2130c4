import SwivelControl
import Yams

/// The model back to YAML: `config show`, the state file. What it writes, `ConfigLoader` reads back to
/// the same model.
public enum ConfigWriter {
    public static func yaml(_ config: NetworkConfig) throws -> String {
        try YAMLEncoder().encode(config)
    }
}
