"""Media on items: every source maps its platform's documented media fields (pictures, GIFs, videos
by their still picture, alt text), banners and labels; and the parser defects found on real
responses stay fixed (escaped text, link cards in quotes, relative crosspost URLs, media hosts)."""

from __future__ import annotations

from conftest import load
from sentinelle.model import Post, Profile, parse_item
from sentinelle.sources import bluesky, mastodon, reddit, youtube


def media(post: Post) -> list[tuple[str, str, str | None]]:
    return [(m.type, m.url, m.alt) for m in post.media]


def test_old_items_stay_valid_and_media_is_optional():
    post = parse_item({"type": "post", "platform": "x", "id": "1", "text": "hi"})
    assert isinstance(post, Post) and post.media == []
    assert parse_item({"type": "post", "platform": "x", "id": "1", "media": None}).media == []
    profile = parse_item({"type": "profile", "platform": "x", "id": "1"})
    assert isinstance(profile, Profile) and profile.banner_url is None and profile.labels == []
    post = parse_item({"type": "post", "platform": "x", "id": "1",
                       "media": [{"type": "image", "url": "https://files.example/a.jpg", "alt": "  "},
                                 {"url": "https://files.example/b.jpg", "alt": "a text"}]})
    assert media(post) == [("image", "https://files.example/a.jpg", None),
                           ("image", "https://files.example/b.jpg", "a text")]


def test_mastodon_media_attachments_and_header():
    (post,), skipped, _ = mastodon.parse_page("statuses", load("mastodon/statuses_media.json"))
    assert skipped == 0 and isinstance(post, Post) and post.text == "Offre spéciale, voir l'image"
    base = "https://files.social.example/media_attachments/files"
    assert media(post) == [
        ("image", f"{base}/1/original/coupon.png", "Coupon -50% : appelez le 01 23 45 67 89"),
        ("gif", f"{base}/2/original/anim.mp4", None),
        ("video", f"{base}/3/original/clip.mp4", None)]  # audio and unknown attachments are not pictures
    account = load("mastodon/statuses_media.json")[0]["account"]
    (profile,), _, _ = mastodon.parse_page("account", account)
    assert profile.banner_url == "https://files.social.example/accounts/headers/42.jpg"
    (plain,), _, _ = mastodon.parse_page("account", {**account, "header": "https://x.example/headers/original/missing.png"})
    assert plain.banner_url is None


def test_bluesky_images_video_and_the_card_of_a_quote_with_media():
    pictured, quoting, video = bluesky.parse_page("searchPosts", load("bluesky/searchPosts_media.json"))[0]
    assert media(pictured) == [
        ("image", "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:fakelumiere0001/bafkimg1@jpeg",
         "Flyer: -50% appelez le 01 23 45 67 89"),
        ("image", "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:fakelumiere0001/bafkimg2@jpeg", None)]
    assert quoting.links == ["https://lumiere-coupons.example/offre"] and quoting.media == []
    assert media(video) == [("video", "https://video.bsky.app/watch/did/bafvid/thumbnail.jpg", "Numéro à appeler")]


def test_bluesky_profile_banner_bio_urls_and_labels():
    (profile,), _, _ = bluesky.parse_page("getProfile", load("bluesky/getProfile_labels.json"))
    assert profile.banner_url.endswith("/bafkban@jpeg")
    assert profile.links == ["https://claire-dubois-rdv.example/agenda", "lumiere-conseil.example"]
    assert profile.labels == ["impersonation"]  # a negated label is not kept


def test_reddit_media_hosts_galleries_crossposts_selftext_and_deleted_authors():
    image, gallery, video, crosspost, self_post = reddit.parse_page("search", load("reddit/search_media.json"))[0]
    assert image.links == [] and media(image) == [
        ("image", "https://i.redd.it/coupon123.jpeg", None),
        ("image", "https://preview.redd.it/coupon123.jpeg?width=1080&format=pjpg&s=abc", None)]
    assert gallery.links == [] and media(gallery) == [
        ("gif", "https://i.redd.it/g2.gif", "Page 2"), ("image", "https://preview.redd.it/g1.jpg?width=800&s=1", None)]
    assert video.links == [] and media(video) == [("video", "https://external-preview.redd.it/vid123.png?s=1", None)]
    assert crosspost.links == [] and crosspost.author is None  # a relative URL; "[deleted]" is nobody
    assert self_post.links == ["https://lumiere-form.example/carte"] and self_post.media == []


def test_youtube_unescaped_text_thumbnail_and_banner():
    (video,), _, _ = youtube.parse_page("search", load("youtube/search_media.json"))
    assert video.text == "Maison Lumière: -50% & cadeaux, l'offre\nAppelez \"vite\" https://lumiere-promo.example"
    assert media(video) == [("image", "https://i.ytimg.com/vi/vidMedia001/hqdefault.jpg", None)]
    (channel,), _, _ = youtube.parse_page("channels", load("youtube/channels_banner.json"))
    assert channel.banner_url == "https://yt3.googleusercontent.com/banner123"
