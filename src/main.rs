fn main() -> std::process::ExitCode {
    kubeautopsy::cli::main()
}
