/// The per-run stages make and drop many small objects (JSON values, strings, model objects);
/// mimalloc serves them much faster than glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kubeautopsy::cli::main()
}
