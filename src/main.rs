mod newtext;

fn main() {}
