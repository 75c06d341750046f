# cython: language_level=3
# fastact/_cpu_features.pyx -- what the running CPU (and OS) supports.  Compiled for baseline x86-64,
# like every line that runs before the kernel module is chosen.

cdef extern from *:
    """
    #if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    static int fa_cpu_avx2(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    static int fa_cpu_avx512(void) {
        __builtin_cpu_init();
        return fa_cpu_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")
               && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
    }
    #else
    static int fa_cpu_avx2(void) { return 0; }
    static int fa_cpu_avx512(void) { return 0; }
    #endif
    """
    int fa_cpu_avx2()
    int fa_cpu_avx512()


def supported_levels():
    """SIMD levels this CPU can run, lowest first (libgcc's cpu detection checks OS support via XGETBV)."""
    levels = ["baseline"]
    if fa_cpu_avx2():
        levels.append("avx2")
    if fa_cpu_avx512():
        levels.append("avx512")
    return levels
