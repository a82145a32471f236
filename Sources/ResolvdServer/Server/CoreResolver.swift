import ResolverCore

/// ResolverCore's `Resolver`, named apart from NIOPosix's `Resolver` protocol.
typealias CoreResolver = ResolverCore.Resolver
