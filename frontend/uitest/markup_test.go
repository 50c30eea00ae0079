package uitest

import (
	"encoding/json"
	"fmt"
	"testing"
)

// TestMarkup runs the formatter (js/markup.js) in the browser on inputs
// that try to smuggle in markup, and compares the DOM it builds.
func TestMarkup(t *testing.T) {
	t.Parallel()
	srv := sharedServer(t)
	b := newBrowser(t, srv, "markup")
	b.open("")
	b.waitJS("app loaded", `document.querySelector('#login-email')`)
	cases := []struct{ in, want string }{
		{"plain", "<p>plain</p>"},
		{"**bold** and *it* and _it2_ and `co<de>`", "<p><strong>bold</strong> and <em>it</em> and <em>it2</em> and <code>co&lt;de&gt;</code></p>"},
		{"<b>not bold</b> & <script>alert(1)</script>", "<p>&lt;b&gt;not bold&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;</p>"},
		{"- one\n- **two**\n\n1. first\n2. second", "<ul><li>one</li><li><strong>two</strong></li></ul><ol><li>first</li><li>second</li></ol>"},
		{"line one\nline two", "<p>line one<br>line two</p>"},
		{"> quoted *text*\nafter", "<blockquote><p>quoted <em>text</em></p></blockquote><p>after</p>"},
		{"```\n<img src=x onerror=alert(1)>\n**not bold**\n```", "<pre><code>&lt;img src=x onerror=alert(1)&gt;\n**not bold**</code></pre>"},
		{"see https://example.com/a?b=1&c=2.", `<p>see <a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow" target="_blank" class="ext">https://example.com/a?b=1&amp;c=2</a>.</p>`},
		{"[mail](mailto:a@example.com)", `<p><a href="mailto:a@example.com" rel="noopener noreferrer nofollow" target="_blank" class="ext">mail</a></p>`},
		{"[x](javascript:alert(1)) [y](data:text/html,hi) [z](//evil.example) [w](/relative)", "<p>[x](javascript:alert(1)) [y](data:text/html,hi) [z](//evil.example) [w](/relative)</p>"},
		{`[a "quote"](https://example.com/"onmouseover="x)`, `<p><a href="https://example.com/%22onmouseover=%22x" rel="noopener noreferrer nofollow" target="_blank" class="ext">a "quote"</a></p>`},
		{"[**bold link**](https://example.com) then [[nested](https://a.example)](https://b.example)", `<p><a href="https://example.com/" rel="noopener noreferrer nofollow" target="_blank" class="ext"><strong>bold link</strong></a> then <a href="https://a.example/" rel="noopener noreferrer nofollow" target="_blank" class="ext">[nested</a>](<a href="https://b.example/" rel="noopener noreferrer nofollow" target="_blank" class="ext">https://b.example</a>)</p>`},
		{"hi @Emma Employee!", `<p>hi <span class="mention">@Emma Employee</span>!</p>`},
	}
	for _, c := range cases {
		got := evalAsync[string](b, fmt.Sprintf(`(async () => {
			const m = await import(document.querySelector('script[type=module]').src.replace('app.js', 'markup.js'));
			const d = document.createElement('div');
			d.appendChild(m.renderBody(%s, ['Emma Employee']));
			return d.innerHTML;
		})()`, mustJSON(c.in)))
		if got != c.want {
			t.Errorf("renderBody(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
	}
	b.noDialogs()
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
