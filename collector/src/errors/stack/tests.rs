//! One real-looking stack trace per runtime: frames innermost first, the
//! app's own marked in-app, and text of no known format read as nothing.

use super::{parse, Format};
use crate::model::error::Frame;

/// (file, function, line, in_app) of each frame.
fn summary(frames: &[Frame]) -> Vec<(&str, &str, u32, bool)> {
    frames
        .iter()
        .map(|f| (f.file.as_str(), f.function.as_str(), f.line, f.in_app))
        .collect()
}

#[test]
fn python_tracebacks_are_read_innermost_first_from_the_last_traceback() {
    let text = r#"Traceback (most recent call last):
  File "/app/shop/db.py", line 7, in connect
    raise OSError("down")
OSError: down

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/shop/views.py", line 12, in handle
    checkout(cart)
  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 880, in dispatch
    return view()
  File "/app/shop/cart.py", line 42, in checkout
    raise ValueError(f"price of {sku} is missing")
ValueError: price of A-1 is missing
"#;
    let (format, frames) = parse(text);
    assert_eq!(format, Some(Format::Python));
    assert_eq!(
        summary(&frames),
        [
            ("/app/shop/cart.py", "checkout", 42, true),
            (
                "/usr/local/lib/python3.12/site-packages/flask/app.py",
                "dispatch",
                880,
                false
            ),
            ("/app/shop/views.py", "handle", 12, true),
        ]
    );
}

#[test]
fn node_stacks_keep_columns_and_leave_out_packages_and_internals() {
    let text = "TypeError: Cannot read properties of undefined (reading 'price')
    at total (/srv/app/src/cart.js:42:17)
    at Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)
    at async Promise.all (index 0)
    at /srv/app/src/server.js:10:3
    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)";
    let (format, frames) = parse(text);
    assert_eq!(format, Some(Format::Node));
    assert_eq!(
        summary(&frames),
        [
            ("/srv/app/src/cart.js", "total", 42, true),
            (
                "/srv/app/node_modules/express/lib/router/layer.js",
                "Layer.handle [as handle_request]",
                95,
                false
            ),
            ("/srv/app/src/server.js", "", 10, true),
            (
                "node:internal/process/task_queues",
                "process.processTicksAndRejections",
                95,
                false
            ),
        ]
    );
    assert_eq!(frames[0].column, 17);
}

#[test]
fn java_traces_read_the_thrown_exception_and_not_its_cause() {
    let text = "java.lang.IllegalStateException: cart 42 is closed
\tat com.shop.cart.CartService.checkout(CartService.java:88)
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)
\tat java.base/java.lang.Thread.run(Thread.java:833)
\tat app//com.shop.Main.lambda$run$0(Main.kt:12)
\tat jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
Caused by: java.io.IOException: closed
\tat com.shop.cart.Store.read(Store.java:5)
\t... 4 more";
    let (format, frames) = parse(text);
    assert_eq!(format, Some(Format::Java));
    assert_eq!(
        summary(&frames),
        [
            (
                "CartService.java",
                "com.shop.cart.CartService.checkout",
                88,
                true
            ),
            (
                "FrameworkServlet.java",
                "org.springframework.web.servlet.FrameworkServlet.service",
                897,
                false
            ),
            ("Thread.java", "java.lang.Thread.run", 833, false),
            ("Main.kt", "com.shop.Main.lambda$run$0", 12, true),
            (
                "Native Method",
                "jdk.internal.reflect.NativeMethodAccessorImpl.invoke0",
                0,
                false
            ),
        ]
    );
}

#[test]
fn go_stacks_pair_each_function_with_its_location() {
    let text = "goroutine 7 [running]:
runtime/debug.Stack()
\t/usr/local/go/src/runtime/debug/stack.go:26 +0x5e
main.(*Cart).Checkout(0xc000012345, 0x2a)
\t/app/cart.go:42 +0x1d
github.com/gorilla/mux.(*Router).ServeHTTP(0xc0000b2000, {0x7a8b40, 0xc0000c8000}, 0xc0000c6000)
\t/root/go/pkg/mod/github.com/gorilla/mux@v1.8.1/mux.go:212 +0x1e2
created by net/http.(*Server).Serve in goroutine 1
\t/usr/local/go/src/net/http/server.go:3285 +0x4b4";
    let (format, frames) = parse(text);
    assert_eq!(format, Some(Format::Go));
    assert_eq!(
        summary(&frames),
        [
            (
                "/usr/local/go/src/runtime/debug/stack.go",
                "runtime/debug.Stack",
                26,
                false
            ),
            ("/app/cart.go", "main.(*Cart).Checkout", 42, true),
            (
                "/root/go/pkg/mod/github.com/gorilla/mux@v1.8.1/mux.go",
                "github.com/gorilla/mux.(*Router).ServeHTTP",
                212,
                false
            ),
            (
                "/usr/local/go/src/net/http/server.go",
                "net/http.(*Server).Serve",
                3285,
                false
            ),
        ]
    );
}

#[test]
fn dotnet_traces_read_the_outer_exception_with_or_without_symbols() {
    let text = "System.InvalidOperationException: checkout failed
 ---> System.IO.IOException: closed
   at Shop.Store.Read() in /src/Shop/Store.cs:line 5
   --- End of inner exception stack trace ---
   at Shop.Cart.Checkout(Int32 quantity) in /src/Shop/Cart.cs:line 42
   at Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.Execute(IActionResultTypeMapper mapper)
   at Shop.Program.<Main>$(String[] args)";
    let (format, frames) = parse(text);
    assert_eq!(format, Some(Format::DotNet));
    assert_eq!(
        summary(&frames),
        [
            ("/src/Shop/Cart.cs", "Shop.Cart.Checkout", 42, true),
            (
                "",
                "Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.Execute",
                0,
                false
            ),
            ("", "Shop.Program.<Main>$", 0, true),
        ]
    );
}

#[test]
fn ruby_backtraces_read_both_quote_styles() {
    let text = "/app/models/cart.rb:42:in `checkout': price missing (ArgumentError)
\tfrom /usr/local/bundle/gems/actionpack-7.1.3/lib/action_controller/metal.rb:227:in `dispatch'
\tfrom /app/app.rb:9:in 'Shop#call'
\tfrom <internal:kernel>:187:in 'loop'";
    let (format, frames) = parse(text);
    assert_eq!(format, Some(Format::Ruby));
    assert_eq!(
        summary(&frames),
        [
            ("/app/models/cart.rb", "checkout", 42, true),
            (
                "/usr/local/bundle/gems/actionpack-7.1.3/lib/action_controller/metal.rb",
                "dispatch",
                227,
                false
            ),
            ("/app/app.rb", "Shop#call", 9, true),
            ("<internal:kernel>", "loop", 187, false),
        ]
    );
}

#[test]
fn text_of_no_known_format_has_no_frames() {
    for text in ["", "boom", "Error: boom\n    somewhere else", "at nothing"] {
        assert_eq!(parse(text), (None, Vec::new()), "{text:?}");
    }
}

#[test]
fn long_stacks_are_cut() {
    let text: String = (0..200)
        .map(|i| format!("    at f{i} (/app/a.js:{i}:1)\n"))
        .collect();
    let (_, frames) = parse(&text);
    assert_eq!(frames.len(), crate::model::error::MAX_FRAMES);
}
