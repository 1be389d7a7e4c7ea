package dev.gemma4j.cuda;

import java.util.List;

/**
 * One kernel launch: the kernel, its grid (blocks are 1-D with {@link Kernel#threads} threads and
 * use static shared memory only) and its argument values in parameter order, boxed as
 * {@link Kernel.ArgKind} says (device pointers are {@code Long} addresses).
 */
record KernelLaunch(Kernel kernel, Dim3 grid, List<Object> args) {
    /** @throws IllegalArgumentException naming the kernel and the parameter when an argument does not match its C type */
    KernelLaunch {
        args = List.copyOf(args);
        if (args.size() != kernel.argKinds.size()) {
            throw new IllegalArgumentException("kernel " + kernel.symbol + " takes " + kernel.argKinds.size()
                    + " parameters " + kernel.parameterTypes + ", " + args.size() + " arguments given");
        }
        for (int i = 0; i < args.size(); i++) {
            Object a = args.get(i);
            Kernel.ArgKind kind = kernel.argKinds.get(i);
            if (!kind.javaType.isInstance(a)) {
                throw new IllegalArgumentException("kernel " + kernel.symbol + " parameter " + i + " ("
                        + kernel.parameterTypes.get(i) + "): expected a " + kind.javaType.getSimpleName() + ", found "
                        + a.getClass().getSimpleName() + " " + a);
            }
        }
    }

    static KernelLaunch of(Kernel kernel, Dim3 grid, Object... args) {
        return new KernelLaunch(kernel, grid, List.of(args));
    }

    /** The same launch of {@link Kernel#in this kernel for compute}. */
    KernelLaunch in(Compute compute) {
        Kernel k = kernel.in(compute);
        return k == kernel ? this : new KernelLaunch(k, grid, args);
    }

    @Override
    public String toString() {
        return kernel.symbol + "<<<" + grid + ", " + kernel.threads + ">>>" + args;
    }
}
