import SwivelControl

/// Where swiveld's desired state comes from at start, and which source wins: the stored state (all of it
/// without a config file; with one, every object the file does not own), then the config file (owner
/// `config`), then the command line (owner `cli`, never stored). The result is validated as a whole.
public enum ModelSources {
    public static func merge(stored: NetworkConfig?, configFile: NetworkConfig?, commandLine: NetworkConfig,
                             source: String) throws(ConfigErrors) -> NetworkConfig {
        var model = NetworkConfig()
        if let stored { model = configFile == nil ? stored : stored.without(owner: NetworkConfig.defaultOwner) }
        if let configFile { model = model.applying(configFile, owner: NetworkConfig.defaultOwner) }
        model = model.applying(commandLine, owner: "cli")
        let errors = Validator.validate(model, file: source)
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return model
    }
}
