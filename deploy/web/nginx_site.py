"""Renders the nginx site deploy/web/maemoh-site.conf for a CKAN
configuration and collects the files nginx serves in CKAN's place: used by
`make run` (deploy/web.sh) and by an operator installing the site.

CKAN serves static files from several public/ directories (its plugins'
first, then its own; the first that has the file wins). nginx has one root
per location, so they are collected into STATIC as symbolic links, in the
same order. Collect them again after installing or upgrading a plugin; a
file missing there is still served, by CKAN.

The other values come from the configuration: where CKAN writes its
webassets and at which URL, the session and "remember me" cookie names and
the API token header (requests carrying them bypass the micro-cache), and
the largest upload.

Usage: python deploy/web/nginx_site.py CONFIG.ini --listen 127.0.0.1:5000 \
           --upstream unix:/path/gunicorn.sock [--upstream HOST:PORT ...] \
           --static DIR --cache DIR > site.conf
"""
import argparse
import os
import pathlib
import re
import shutil
import sys

TEMPLATE = pathlib.Path(__file__).resolve().parent / "maemoh-site.conf"
# A form posting a file of CKAN's largest size is larger than the file.
FORM_OVERHEAD_MB = 1


def ckan_values(ini):
    """The public directories (CKAN's order) and the template's values
    that the configuration decides."""
    from ckan.cli import load_config
    from ckan.common import config
    from ckan.config.middleware import make_app
    from ckan.lib.webassets_tools import get_webassets_path

    flask_app = make_app(load_config(ini))._wsgi_app
    not_public = {
        # uploaded images (the storage folder) change while CKAN runs: CKAN serves them
        os.path.join(config.get("ckan.storage_path") or "", "storage"),
        # where an empty extra_public_paths leads: CKAN's own code, not public files
        flask_app.root_path,
    }
    public = [folder for folder in flask_app.static_folder
              if os.path.normpath(folder) not in map(os.path.normpath, not_public)]
    return public, {
        "MAEMOH_WEBASSETS": get_webassets_path().rstrip("/"),
        "MAEMOH_WEBASSETS_URL": config.get("ckan.webassets.url").rstrip("/"),
        "MAEMOH_SESSION_COOKIE": config.get("SESSION_COOKIE_NAME"),
        "MAEMOH_REMEMBER_COOKIE": config.get("REMEMBER_COOKIE_NAME"),
        "MAEMOH_TOKEN_HEADER": config.get("apitoken_header_name").lower().replace("-", "_"),
        "MAEMOH_MAX_BODY": f"{config.get('ckan.max_resource_size') + FORM_OVERHEAD_MB}m",
    }


def collect(folders, static):
    """STATIC: a link to each file of ``folders``, the first folder's where
    two have the same path; built aside, then put in place."""
    building = static.with_name(static.name + ".new")
    shutil.rmtree(building, ignore_errors=True)
    for folder in map(pathlib.Path, folders):
        for path in folder.rglob("*"):
            link = building / path.relative_to(folder)
            if path.is_file() and not os.path.lexists(link):
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(path.resolve())
    building.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(static, ignore_errors=True)
    building.rename(static)


def render(values):
    """The template with every ${MAEMOH_...} replaced (a missing value is an error)."""
    return re.sub(r"\$\{(MAEMOH_[A-Z_]+)\}", lambda m: values[m.group(1)], TEMPLATE.read_text())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ini", help="the CKAN configuration file")
    parser.add_argument("--listen", required=True, help="nginx's address, e.g. 127.0.0.1:5000 or 80")
    parser.add_argument("--upstream", required=True, action="append",
                        help="a web node (gunicorn): unix:/path or HOST:PORT; once per node")
    parser.add_argument("--static", required=True, type=pathlib.Path, help="where CKAN's public files are collected")
    parser.add_argument("--cache", required=True, help="the micro-cache's directory")
    args = parser.parse_args()
    public, values = ckan_values(os.path.abspath(args.ini))
    collect(public, args.static.resolve())
    servers = "\n    ".join(f"server {node};" for node in args.upstream)
    values.update(MAEMOH_LISTEN=args.listen, MAEMOH_UPSTREAM_SERVERS=servers,
                  MAEMOH_STATIC=str(args.static.resolve()), MAEMOH_CACHE=args.cache)
    sys.stdout.write(render(values))


if __name__ == "__main__":
    main()
