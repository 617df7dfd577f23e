mod thread;

fn main() {}
