"""plansite: publish government service-quality plans as an accessible bilingual website.

The pipeline, one module per stage: ``content`` (plan files → model) → ``model`` (the
contract) → ``render_html`` / ``render_json`` (pure functions of the model) → ``site``
(assemble and publish ``site/`` atomically). ``cli`` is the command line.
"""
