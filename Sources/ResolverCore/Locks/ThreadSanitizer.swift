#if canImport(Glibc)
import Glibc
#endif

/// Whether this process runs under ThreadSanitizer: its runtime is then linked in.
package enum ThreadSanitizer {
    package static let isLoaded: Bool = dlsym(nil, "__tsan_init") != nil  // nil: RTLD_DEFAULT
}
