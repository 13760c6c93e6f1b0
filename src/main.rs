fn main() {
    std::process::exit(awsenv::main());
}
