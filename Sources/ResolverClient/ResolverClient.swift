/// Protocol v1 client for resolvd.
public enum ResolverClientModule {}
