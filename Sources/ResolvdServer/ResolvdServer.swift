/// The resolvd daemon as a library: server, protocol v1, configuration.
public enum ResolvdServer {}
