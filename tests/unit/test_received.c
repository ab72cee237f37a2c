/* test_received.c: unit tests for lib/received: Received lines of many
 * MTAs against SpamAssassin 4.0.1's own parse (the expected strings were
 * produced by Mail::SpamAssassin::Message::Metadata), trust and internal
 * classification, originating-IP fields, fetchmail restarts and network
 * lists. */
#include "lib/received.h"
#include "lib/buffer.h"
#include "lib/message.h"
#include "tests/unit/harness.h"
#include "tests/unit/trickle_input.h"

#include <time.h>

struct line_case {
	const char *line;
	int result;		/* 1 relay, 0 skipped, -1 unparseable */
	const char *expected;	/* the relay's text when result is 1 */
};

static const struct line_case line_cases[] = {
	{ "from mail-sor-f41.google.com (mail-sor-f41.google.com. [20"
	    "9.85.220.41]) by mx.google.com with ESMTPS id a1si123456qk"
	    "b.12.2019.06.05.03.17.08 for <x@gmail.com> (version=TLS1_3"
	    " cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Wed, 05 Jun "
	    "2019 03:17:08 -0700 (PDT)",
	    1, "[ ip=209.85.220.41 rdns=mail-sor-f41.google.com helo=mail-"
	    "sor-f41.google.com by=mx.google.com ident= envfrom= intl=0"
	    " id=a1si123456qkb.12.2019.06.05.03.17.08 auth= msa=0 ]" },
	{ "from [192.168.1.2] (host.example.org. [203.0.113.9]) by mx"
	    ".google.com with ESMTPS id abcdesm123456qkb.17.2019.06.05."
	    "03.17.07 (version=TLSv1/SSLv3 cipher=RC4-SHA); Wed, 05 Jun"
	    " 2019 03:17:07 -0700 (PDT)",
	    1, "[ ip=203.0.113.9 rdns=host.example.org helo=!192.168.1.2! "
	    "by=mx.google.com ident= envfrom= intl=0 id=abcdesm123456qk"
	    "b.17.2019.06.05.03.17.07 auth= msa=0 ]" },
	{ "from mail-sor-f41.google.com (mail-sor-f41.google.com. [20"
	    "9.85.220.41]) by mx.google.com with SMTPS id a1sor123456qk"
	    "b.12.2019.06.05.03.17.08 for <x@gmail.com> (Google Transpo"
	    "rt Security); Wed, 05 Jun 2019 03:17:08 -0700 (PDT)",
	    1, "[ ip=209.85.220.41 rdns=mail-sor-f41.google.com helo=mail-"
	    "sor-f41.google.com by=mx.google.com ident= envfrom= intl=0"
	    " id=a1sor123456qkb.12.2019.06.05.03.17.08 auth= msa=0 ]" },
	{ "by 2002:a05:6a10:a0d1:0:0:0:0 with SMTP id j17csp1234pxa; "
	    "Wed, 5 Jun 2019 03:17:08 -0700 (PDT)",
	    0, NULL },
	{ "from [192.168.1.5] ([203.0.113.9]) by smtp.gmail.com with "
	    "ESMTPSA id x5sm1234567wrq.72.2019.06.05.03.17.07 (version="
	    "TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Wed, 0"
	    "5 Jun 2019 03:17:07 -0700 (PDT)",
	    1, "[ ip=203.0.113.9 rdns= helo=!192.168.1.5! by=smtp.gmail.co"
	    "m ident= envfrom= intl=0 id=x5sm1234567wrq.72.2019.06.05.0"
	    "3.17.07 auth=ESMTPSA msa=0 ]" },
	{ "from mail-wr1-x42f.google.com (mail-wr1-x42f.google.com [I"
	    "Pv6:2a00:1450:4864:20::42f]) by mx.example.com (Postfix) w"
	    "ith ESMTPS id 45JZ8N0wQxz9sN6 for <a@example.com>; Wed,  5"
	    " Jun 2019 12:17:09 +0200 (CEST)",
	    1, "[ ip=2a00:1450:4864:20::42f rdns=mail-wr1-x42f.google.com "
	    "helo=mail-wr1-x42f.google.com by=mx.example.com ident= env"
	    "from= intl=0 id=45JZ8N0wQxz9sN6 auth= msa=0 ]" },
	{ "from EUR01-VE1-obe.outbound.protection.outlook.com (mail-v"
	    "e1eur01on0610.outbound.protection.outlook.com [IPv6:2a01:1"
	    "11:f400:fe1f::610]) by mx.example.net (Postfix) with ESMTP"
	    "S id 45JZ; Wed,  5 Jun 2019 12:17:09 +0200 (CEST)",
	    1, "[ ip=2a01:111:f400:fe1f::610 rdns=mail-ve1eur01on0610.outb"
	    "ound.protection.outlook.com helo=EUR01-VE1-obe.outbound.pr"
	    "otection.outlook.com by=mx.example.net ident= envfrom= int"
	    "l=0 id=45JZ auth= msa=0 ]" },
	{ "from AM5PR0402MB2836.eurprd04.prod.outlook.com (2603:10a6:"
	    "203:a6::14) by AM5PR0402MB2756.eurprd04.prod.outlook.com ("
	    "2603:10a6:203:99::22) with Microsoft SMTP Server (version="
	    "TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 1"
	    "5.20.1943.22; Wed, 5 Jun 2019 10:17:08 +0000",
	    1, "[ ip=2603:10a6:203:a6::14 rdns=AM5PR0402MB2836.eurprd04.pr"
	    "od.outlook.com helo=AM5PR0402MB2836.eurprd04.prod.outlook."
	    "com by=AM5PR0402MB2756.eurprd04.prod.outlook.com ident= en"
	    "vfrom= intl=0 id=15.20.1943.22 auth= msa=0 ]" },
	{ "from AM5PR0402MB2836.eurprd04.prod.outlook.com ([fe80::19b"
	    "d:c588:dd17:5226]) by AM5PR0402MB2836.eurprd04.prod.outloo"
	    "k.com ([fe80::19bd:c588:dd17:5226%6]) with mapi id 15.20.1"
	    "943.023; Wed, 5 Jun 2019 10:17:08 +0000",
	    1, "[ ip=fe80::19bd:c588:dd17:5226 rdns= helo=AM5PR0402MB2836."
	    "eurprd04.prod.outlook.com by=AM5PR0402MB2836.eurprd04.prod"
	    ".outlook.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from VE1EUR01FT012.eop-EUR01.prod.protection.outlook.com ("
	    "10.152.2.52) by VE1EUR01HT155.eop-EUR01.prod.protection.ou"
	    "tlook.com (10.152.3.76) with Microsoft SMTP Server (versio"
	    "n=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384_P38"
	    "4) id 15.20.1965.12; Wed, 5 Jun 2019 10:17:09 +0000",
	    1, "[ ip=10.152.2.52 rdns=VE1EUR01FT012.eop-EUR01.prod.protect"
	    "ion.outlook.com helo=VE1EUR01FT012.eop-EUR01.prod.protecti"
	    "on.outlook.com by=VE1EUR01HT155.eop-EUR01.prod.protection."
	    "outlook.com ident= envfrom= intl=0 id=15.20.1965.12 auth= "
	    "msa=0 ]" },
	{ "from 10.217.151.75 by nm1.bullet.mail.bf1.yahoo.com with N"
	    "NFMP; 05 Jun 2019 10:17:08 -0000",
	    1, "[ ip=10.217.151.75 rdns= helo= by=nm1.bullet.mail.bf1.yaho"
	    "o.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from [127.0.0.1] by omp1017.mail.bf1.yahoo.com with NNFMP;"
	    " 05 Jun 2019 10:17:08 -0000",
	    1, "[ ip=127.0.0.1 rdns= helo= by=omp1017.mail.bf1.yahoo.com i"
	    "dent= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from sonic.gate.mail.ne1.yahoo.com by sonic301.consmr.mail"
	    ".ne1.yahoo.com with HTTP; Wed, 5 Jun 2019 10:17:08 +0000",
	    0, NULL },
	{ "from 98.137.64.82 (EHLO sonic301-20.consmr.mail.gq1.yahoo."
	    "com) (98.137.64.82) by mta4334.mail.gq1.yahoo.com with SMT"
	    "PS; Wed, 05 Jun 2019 10:17:08 +0000",
	    1, "[ ip=98.137.64.82 rdns=98.137.64.82 helo=sonic301-20.consm"
	    "r.mail.gq1.yahoo.com by=mta4334.mail.gq1.yahoo.com ident= "
	    "envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from mail.example.org ([2001:db8::25]:41234 helo=mail.exam"
	    "ple.org) by mx.example.net with esmtps (TLS1.3) tls TLS_AE"
	    "S_256_GCM_SHA384 (Exim 4.94.2) (envelope-from <bob@example"
	    ".org>) id 1mAbCd-0001Xy-Ab for alice@example.net; Wed, 05 "
	    "Jun 2019 12:17:09 +0200",
	    1, "[ ip=2001:db8::25 rdns=mail.example.org helo=mail.example."
	    "org by=mx.example.net ident= envfrom=bob@example.org intl="
	    "0 id=1mAbCd-0001Xy-Ab auth= msa=0 ]" },
	{ "from mail.example.org ([192.0.2.7] helo=mail.example.org) "
	    "by mx.example.net with esmtps (TLS1.3) tls TLS_AES_256_GCM"
	    "_SHA384 (Exim 4.94.2) (envelope-from <bob@example.org>) id"
	    " 1mAbCd-0001Xy-Ab for alice@example.net; Wed, 05 Jun 2019 "
	    "12:17:09 +0200",
	    1, "[ ip=192.0.2.7 rdns=mail.example.org helo=mail.example.org"
	    " by=mx.example.net ident= envfrom=bob@example.org intl=0 i"
	    "d=1mAbCd-0001Xy-Ab auth= msa=0 ]" },
	{ "from bob by mx.example.net with local (Exim 4.94.2) (envel"
	    "ope-from <bob@example.net>) id 1mAbCd-0001Xy-Ab; Wed, 05 J"
	    "un 2019 12:17:09 +0200",
	    0, NULL },
	{ "from [192.168.1.10] (unknown [203.0.113.5]) (Authenticated"
	    " sender: bob@example.org) by mail.example.org (Postfix) wi"
	    "th ESMTPSA id 4A1B2C3D4E for <alice@example.net>; Wed,  5 "
	    "Jun 2019 12:17:09 +0200 (CEST)",
	    1, "[ ip=203.0.113.5 rdns= helo=!192.168.1.10! by=mail.example"
	    ".org ident= envfrom= intl=0 id=4A1B2C3D4E auth=ESMTPSA msa"
	    "=0 ]" },
	{ "from [192.168.1.10] (unknown [203.0.113.5]) (Authenticated"
	    " sender: bob@example.org) by mail.example.org (Postfix) wi"
	    "th ESMTP id 4A1B2C3D4E for <alice@example.net>; Wed,  5 Ju"
	    "n 2019 12:17:09 +0200 (CEST)",
	    1, "[ ip=203.0.113.5 rdns= helo=!192.168.1.10! by=mail.example"
	    ".org ident= envfrom= intl=0 id=4A1B2C3D4E auth=Postfix msa"
	    "=0 ]" },
	{ "from localhost (localhost [127.0.0.1]) by mail.example.org"
	    " (Postfix) with ESMTP id 4A1B2C3D4E; Wed,  5 Jun 2019 12:1"
	    "7:09 +0200 (CEST)",
	    1, "[ ip=127.0.0.1 rdns=localhost helo=localhost by=mail.examp"
	    "le.org ident= envfrom= intl=0 id=4A1B2C3D4E auth= msa=0 ]" },
	{ "from mail.example.org (mail.example.org [IPv6:2001:db8::1]"
	    ") (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/2"
	    "56 bits)) (No client certificate requested) by mx.example."
	    "net (Postfix) with ESMTPS id 45JZ8N; Wed,  5 Jun 2019 12:1"
	    "7:09 +0200 (CEST)",
	    1, "[ ip=2001:db8::1 rdns=mail.example.org helo=mail.example.o"
	    "rg by=mx.example.net ident= envfrom= intl=0 id=45JZ8N auth"
	    "= msa=0 ]" },
	{ "by mail.example.org (Postfix, from userid 1000) id 4A1B2C3"
	    "D4E; Wed,  5 Jun 2019 12:17:09 +0200 (CEST)",
	    0, NULL },
	{ "from host.example.org (host.example.org [192.0.2.1]) (auth"
	    "enticated bits=0) by mx.example.net (8.15.2/8.15.2) with E"
	    "SMTPSA id x55AH9Zq012345 (version=TLSv1.3 cipher=TLS_AES_2"
	    "56_GCM_SHA384 bits=256 verify=NO) for <a@example.net>; Wed"
	    ", 5 Jun 2019 12:17:09 +0200",
	    1, "[ ip=192.0.2.1 rdns=host.example.org helo=host.example.org"
	    " by=mx.example.net ident= envfrom= intl=0 id=x55AH9Zq01234"
	    "5 auth=ESMTPSA msa=0 ]" },
	{ "from mail.example.org (IDENT:root@host.example.org [192.0."
	    "2.1] (may be forged)) by mx.example.net (8.9.3/8.9.3) with"
	    " ESMTP id x55AH9Z; Wed, 5 Jun 2019 12:17:09 +0200",
	    1, "[ ip=192.0.2.1 rdns=host.example.org helo=mail.example.org"
	    " by=mx.example.net ident=root envfrom= intl=0 id=x55AH9Z a"
	    "uth= msa=0 ]" },
	{ "from host.example.org (host.example.org [::ffff:192.0.2.1]"
	    ") (AUTH: PLAIN bob, TLS: TLSv1/SSLv3,256bits,AES256-SHA) b"
	    "y mx.example.net with ESMTPSA; Wed, 05 Jun 2019 12:17:09 +"
	    "0200 id 00000000000A0001.000000005CF7A5D5.00007ED1",
	    1, "[ ip=192.0.2.1 rdns=host.example.org helo=host.example.org"
	    " by=mx.example.net ident= envfrom= intl=0 id=00000000000A0"
	    "001.000000005CF7A5D5.00007ED1 auth=ESMTPSA msa=0 ]" },
	{ "from host.example.org (host.example.org [::ffff:192.0.2.1]"
	    ") by mx.example.net with ESMTP; Wed, 05 Jun 2019 12:17:09 "
	    "+0200 id 00000000000A0001.000000005CF7A5D5.00007ED1",
	    1, "[ ip=192.0.2.1 rdns=host.example.org helo=host.example.org"
	    " by=mx.example.net ident= envfrom= intl=0 id=00000000000A0"
	    "001.000000005CF7A5D5.00007ED1 auth= msa=0 ]" },
	{ "from host.example.org (host.example.org [::ffff:192.0.2.1]"
	    ") (AUTH: LOGIN bob) by mx.example.net with esmtp; Wed, 05 "
	    "Jun 2019 12:17:09 +0200",
	    1, "[ ip=192.0.2.1 rdns=host.example.org helo=host.example.org"
	    " by=mx.example.net ident= envfrom= intl=0 id= auth=LOGIN m"
	    "sa=0 ]" },
	{ "from host.example.org ([192.0.2.1]) by domino.example.net "
	    "(Lotus Domino Release 8.5.3FP6) with ESMTP id 201906051217"
	    "0951-12345 ; Wed, 5 Jun 2019 12:17:09 +0200",
	    1, "[ ip=192.0.2.1 rdns= helo=host.example.org by=domino.examp"
	    "le.net ident= envfrom= intl=0 id=2019060512170951-12345 au"
	    "th= msa=0 ]" },
	{ "from host.example.org by mx.example.net (MDaemon PRO v19.0"
	    ".2) with ESMTP id md50018233933.msg for <a@example.net>; W"
	    "ed, 05 Jun 2019 12:17:09 +0200",
	    0, NULL },
	{ "from host.example.org (unknown [192.0.2.1]) by mx.example."
	    "net (MDaemon PRO v19.0.2) with ESMTPA id md5001.msg; Wed, "
	    "05 Jun 2019 12:17:09 +0200",
	    1, "[ ip=192.0.2.1 rdns= helo=host.example.org by=mx.example.n"
	    "et ident= envfrom= intl=0 id=md5001.msg auth=ESMTPA msa=0 "
	    "]" },
	{ "(qmail 12345 invoked by uid 89); 5 Jun 2019 10:17:09 -0000",
	    0, NULL },
	{ "(qmail 12345 invoked from network); 5 Jun 2019 10:17:09 -0"
	    "000",
	    0, NULL },
	{ "from unknown (HELO mail.example.org) (bob@192.0.2.1) by mx"
	    ".example.net with ESMTPA; 5 Jun 2019 10:17:09 -0000",
	    1, "[ ip=192.0.2.1 rdns= helo=mail.example.org by=mx.example.n"
	    "et ident=bob envfrom= intl=0 id= auth=ESMTPA msa=0 ]" },
	{ "from host.example.org (HELO mail.example.org) ([192.0.2.1]"
	    ") by mx.example.net (qmail-ldap-1.03) with SMTP; 5 Jun 201"
	    "9 10:17:09 -0000",
	    1, "[ ip=192.0.2.1 rdns=host.example.org helo=mail.example.org"
	    " by=mx.example.net ident= envfrom= intl=0 id= auth= msa=0 "
	    "]" },
	{ "from unknown (HELO ?192.168.1.2?) (bob@[203.0.113.9]) (env"
	    "elope-sender <bob@example.org>) by mail.example.org (qmail"
	    "-ldap-1.03) with SMTP for <a@example.net>; 5 Jun 2019 10:1"
	    "7:09 -0000",
	    1, "[ ip=203.0.113.9 rdns= helo=?192.168.1.2? by=mail.example."
	    "org ident=bob envfrom=bob@example.org intl=0 id= auth= msa"
	    "=0 ]" },
	{ "from mail pickup service by hotmail.com with Microsoft SMT"
	    "PSVC; Wed, 5 Jun 2019 03:17:09 -0700",
	    0, NULL },
	{ "from 192.0.2.1 by by1fd.bay1.hotmail.msn.com with HTTP; We"
	    "d, 05 Jun 2019 10:17:09 GMT",
	    1, "[ ip=192.0.2.1 rdns= helo= by=by1fd.bay1.hotmail.msn.com i"
	    "dent= envfrom= intl=0 id= auth=HTTP msa=0 ]" },
	{ "from mail.example.org ([192.0.2.1]) by EXCH01.example.net "
	    "with Microsoft SMTPSVC(6.0.3790.4675); Wed, 5 Jun 2019 12:"
	    "17:09 +0200",
	    1, "[ ip=192.0.2.1 rdns= helo=mail.example.org by=EXCH01.examp"
	    "le.net ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from a8-30.smtp-out.amazonses.com (a8-30.smtp-out.amazonse"
	    "s.com [54.240.8.30]) by mx.example.net (Postfix) with ESMT"
	    "PS id 45JZ8N for <a@example.net>; Wed,  5 Jun 2019 12:17:0"
	    "9 +0200 (CEST)",
	    1, "[ ip=54.240.8.30 rdns=a8-30.smtp-out.amazonses.com helo=a8"
	    "-30.smtp-out.amazonses.com by=mx.example.net ident= envfro"
	    "m= intl=0 id=45JZ8N auth= msa=0 ]" },
	{ "from [2001:db8::1] (port=41234 helo=[IPv6:2001:db8::1]) by"
	    " mx.example.net with esmtpsa (TLS1.2) (Exim 4.92) (envelop"
	    "e-from <b@example.org>) id 1hYabc-0005Zz-Qq; Wed, 05 Jun 2"
	    "019 12:17:09 +0200",
	    1, "[ ip=2001:db8::1 rdns= helo=!IPv6:2001:db8::1! by=mx.examp"
	    "le.net ident= envfrom=b@example.org intl=0 id=1hYabc-0005Z"
	    "z-Qq auth=esmtpsa msa=0 ]" },
	{ "from mail.example.org (mail.example.org [IPv6:2001:db8:0:0"
	    ":0:0:0:1]) by mx.example.net (8.15.2/8.15.2) with ESMTPS i"
	    "d x5AB12; Wed, 5 Jun 2019 12:17:09 +0200",
	    1, "[ ip=2001:db8:0:0:0:0:0:1 rdns=mail.example.org helo=mail."
	    "example.org by=mx.example.net ident= envfrom= intl=0 id=x5"
	    "AB12 auth= msa=0 ]" },
	{ "from fe80 (unknown [IPv6:fe80::1%eth0]) by mx.example.net "
	    "(Postfix) with ESMTP id ABC123",
	    -1, NULL },
	{ "from mail.example.org (mail.example.org [192.0.2.1]) by mx"
	    ".example.net (OpenSMTPD) with ESMTPS id 5db34e0d (TLSv1.3:"
	    "TLS_AES_256_GCM_SHA384:256:NO) for <a@example.net>; Wed, 5"
	    " Jun 2019 12:17:09 +0200 (CEST)",
	    1, "[ ip=192.0.2.1 rdns=mail.example.org helo=mail.example.org"
	    " by=mx.example.net ident= envfrom= intl=0 id=5db34e0d auth"
	    "= msa=0 ]" },
	{ "from localhost (example.com [local]) by example.com (OpenS"
	    "MTPD) with ESMTPA id 5db34e0d for <email@example.com>; Tue"
	    ", 7 Apr 2020 01:38:29 -0600 (MDT)",
	    0, NULL },
	{ "from MjA3NDc4Mg (unknown) by ismtpd0001p1lon1.sendgrid.net"
	    " (SG) with HTTP id aqHKNX2kSp for <e@x.com>; Thu, 02 Apr 2"
	    "020 07:53:55.516 +0000 (UTC)",
	    0, NULL },
	{ "from mail.example.org (Unknown [192.0.2.1]) by mx.example."
	    "net (Haraka/2.8.25) with ESMTPS id 1234 envelope-from <a@e"
	    "xample.org> (authenticated bits=0) tls TLS_AES_256_GCM_SHA"
	    "384; Wed, 05 Jun 2019 12:17:09 +0200",
	    1, "[ ip=192.0.2.1 rdns= helo=mail.example.org by=mx.example.n"
	    "et ident= envfrom=a@example.org intl=0 id=1234 auth= msa=0"
	    " ]" },
	{ "from localhost by mx.example.net with SpamAssassin (versio"
	    "n 3.4.2); Wed, 05 Jun 2019 12:17:09 +0200",
	    0, NULL },
	{ "from [192.168.1.2] (host.example.org. [203.0.113.9]) by mx"
	    ".google.com with ESMTPS id ay1sm123456qkb.17.2019.06.05.03"
	    ".17.07 (version=TLSv1/SSLv3 cipher=RC4-SHA); Wed, 05 Jun 2"
	    "019 03:17:07 -0700 (PDT)",
	    1, "[ ip=203.0.113.9 rdns=host.example.org helo=!192.168.1.2! "
	    "by=mx.google.com ident= envfrom= intl=0 id=ay1sm123456qkb."
	    "17.2019.06.05.03.17.07 auth=GMail - transport=TLSv1/SSLv3 "
	    "cipher=RC4-SHA msa=0 ]" },
	{ "from [192.0.2.1] (account bob@example.org HELO laptop) by "
	    "mail.example.org (CommuniGate Pro SMTP 6.2.1) with ESMTPSA"
	    " id 12345 for a@example.net; Wed, 05 Jun 2019 12:17:09 +02"
	    "00",
	    1, "[ ip=192.0.2.1 rdns= helo=laptop by=mail.example.org ident"
	    "= envfrom= intl=0 id=12345 auth=ESMTPSA msa=0 ]" },
	{ "from mail.example.org ([127.0.0.1]) by localhost (mail.exa"
	    "mple.org [127.0.0.1]) (amavisd-new, port 10032) with ESMTP"
	    " id abc123; Wed, 5 Jun 2019 12:17:09 +0200 (CEST)",
	    1, "[ ip=127.0.0.1 rdns= helo=mail.example.org by=localhost id"
	    "ent= envfrom= intl=0 id=abc123 auth= msa=0 ]" },
	{ "from [127.0.0.1] (localhost [127.0.0.1]) by mail.example.o"
	    "rg (Postfix) with ESMTPSA id XYZ12",
	    1, "[ ip=127.0.0.1 rdns=localhost helo=!127.0.0.1! by=mail.exa"
	    "mple.org ident= envfrom= intl=0 id=XYZ12 auth=ESMTPSA msa="
	    "0 ]" },
	{ "from mail.example.org (mail.example.org [192.0.2.1]) by mx"
	    ".example.net with ESMTP (envelope-from <\"odd name\"@examp"
	    "le.org>) ; Wed, 5 Jun 2019",
	    1, "[ ip=192.0.2.1 rdns=mail.example.org helo=mail.example.org"
	    " by=mx.example.net ident= envfrom=\"odd intl=0 id= auth= m"
	    "sa=0 ]" },
	{ "from mail.example.org (HELO mail) (192.0.2.1) by mx.exampl"
	    "e.net with SMTP; 5 Jun 2019 10:17:09 -0000",
	    1, "[ ip=192.0.2.1 rdns=mail.example.org helo=mail by=mx.examp"
	    "le.net ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "FROM mail.example.org (rdns.example.org [192.0.2.1]) BY mx"
	    ".example.net ID <ABC.123> FOR <a@b.c>",
	    1, "[ ip=192.0.2.1 rdns=rdns.example.org helo=mail.example.org"
	    " by=mx.example.net ident= envfrom= intl=0 id=ABC.123 auth="
	    " msa=0 ]" },
	{ "(from bob@localhost) by home.example.com (8.12.11/8.12.11/"
	    "Submit) id iBADHRP6011034; Fri, 10 Dec 2004 13:17:27 GMT",
	    0, NULL },
	{ "From mail.example.org [192.0.2.1] by mx.example.net; Wed, "
	    "5 Jun 2019 12:17:09 +0200",
	    1, "[ ip=192.0.2.1 rdns= helo= by=mx.example.net ident= envfro"
	    "m= intl=0 id= auth= msa=0 ]" },
	{ "from x ([1.2.3.4]) by y (via HTTP) ; Wed, 5 Jun 2019 12:17"
	    ":09 +0200",
	    1, "[ ip=1.2.3.4 rdns= helo=x by=y ident= envfrom= intl=0 id= "
	    "auth=HTTP msa=0 ]" },
	{ "from x (x [1.2.3.4]) by y.example with HTTPS id 123; Wed, "
	    "5 Jun 2019 12:17:09 +0200",
	    1, "[ ip=1.2.3.4 rdns=x helo=x by=y.example ident= envfrom= in"
	    "tl=0 id=123 auth=HTTPS msa=0 ]" },
	{ "from host.example.org (host.example.org [2001:db8::ffff:1."
	    "2.3.4]) by mx.example.net (Postfix) with ESMTP id AAAA1",
	    1, "[ ip=2001:db8::ffff:1.2.3.4 rdns=host.example.org helo=hos"
	    "t.example.org by=mx.example.net ident= envfrom= intl=0 id="
	    "AAAA1 auth= msa=0 ]" },
	{ "from host.example.org (host.example.org [::1]) by mx.examp"
	    "le.net (Postfix) with ESMTP id AAAA1",
	    1, "[ ip=::1 rdns=host.example.org helo=host.example.org by=mx"
	    ".example.net ident= envfrom= intl=0 id=AAAA1 auth= msa=0 ]" },
	{ "from host.example.org (host.example.org [0:0:0:0:0:ffff:10"
	    ".1.2.3]) by mx.example.net (Postfix) with ESMTP id AAAA1",
	    1, "[ ip=10.1.2.3 rdns=host.example.org helo=host.example.org "
	    "by=mx.example.net ident= envfrom= intl=0 id=AAAA1 auth= ms"
	    "a=0 ]" },
	{ "from h (h [1.2.3.04]) by mx.example.net (Postfix) with ESM"
	    "TP id AAAA1",
	    -1, NULL },
	{ "from h (h [1.2.3.256]) by mx.example.net (Postfix) with ES"
	    "MTP id AAAA1",
	    -1, NULL },
	{ "from h.example. (h.example... [1.2.3.4]) by mx.example.net"
	    "; Wed, 5 Jun 2019 12:17:09 +0200",
	    1, "[ ip=1.2.3.4 rdns=h.example helo=h.example. by=mx.example."
	    "net ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from h (h [100.64.1.1]) by mx (Postfix) with ESMTP id AAAA"
	    "1",
	    1, "[ ip=100.64.1.1 rdns=h helo=h by=mx ident= envfrom= intl=0"
	    " id=AAAA1 auth= msa=0 ]" },
	{ "from h (h [169.254.1.1]) by mx (Postfix) with ESMTP id AAA"
	    "A1",
	    1, "[ ip=169.254.1.1 rdns=h helo=h by=mx ident= envfrom= intl="
	    "0 id=AAAA1 auth= msa=0 ]" },
	{ "from h ( [1.2.3.4]) by mx with ESMTP id AAAA1; Wed, 5 Jun "
	    "2019 12:17:09 +0200;;;",
	    1, "[ ip=1.2.3.4 rdns= helo= by=mx ident= envfrom= intl=0 id=A"
	    "AAA1 auth= msa=0 ]" },
	{ "from h (helo=x) [1.2.3.4] by mx with smtp (Exim 3) id 1",
	    1, "[ ip=1.2.3.4 rdns=h helo=helo=x by=mx ident= envfrom= intl"
	    "=0 id= auth= msa=0 ]" },
	{ "from h (h [1.2.3.4] ident=bob) by mx with smtp (Exim 3) id"
	    " 1",
	    1, "[ ip=1.2.3.4 rdns=h helo= by=mx ident= envfrom= intl=0 id="
	    " auth= msa=0 ]" },
	{ "from virtual-access.org by bolero.conactive.com ; Thu, 20 "
	    "Feb 2003 23:32:58 +0100",
	    0, NULL },
	{ "from av0001.technodiva.com (localhost [127.0.0.1])by  loca"
	    "lhost.technodiva.com (Postfix) with ESMTP id 846CF2117for "
	    " <proftp-user@lists.sourceforge.net>; Mon,  7 Aug 2006 17:"
	    "48:07 +0200 (MEST)",
	    1, "[ ip=127.0.0.1 rdns=localhost helo=av0001.technodiva.com b"
	    "y=localhost.technodiva.com ident= envfrom= intl=0 id=846CF"
	    "2117for auth= msa=0 ]" },
	{ "from 142.169.110.122 (SquirrelMail authenticated user syna"
	    "pse) by mail.nomis80.org with HTTP; Sat, 3 Apr 2004 10:33:"
	    "43 -0500 (EST)",
	    1, "[ ip=142.169.110.122 rdns= helo= by=mail.nomis80.org ident"
	    "= envfrom= intl=0 id= auth=HTTP msa=0 ]" },
	{ "from 82.135.198.129 by FWM-M18.sysops.aol.com (64.12.168.8"
	    "2) with HTTP (WebMailUI); Tue, 19 Jun 2007 11:16:54 -0400",
	    1, "[ ip=82.135.198.129 rdns= helo= by=FWM-M18.sysops.aol.com "
	    "ident= envfrom= intl=0 id= auth=HTTP msa=0 ]" },
	{ "from inet-vrs-05.redmond.corp.microsoft.com ([157.54.6.157"
	    "]) by INET-IMC-05.redmond.corp.microsoft.com with Microsof"
	    "t SMTPSVC(5.0.2195.6624); Thu, 6 Mar 2003 12:02:35 -0800",
	    1, "[ ip=157.54.6.157 rdns= helo=inet-vrs-05.redmond.corp.micr"
	    "osoft.com by=INET-IMC-05.redmond.corp.microsoft.com ident="
	    " envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from 0 ([61.31.135.91]) by bass.bass.com.eg with Microsoft"
	    " SMTPSVC(5.0.2195.6713); Tue, 21 Sep 2004 08:59:06 +0300",
	    1, "[ ip=61.31.135.91 rdns= helo=0 by=bass.bass.com.eg ident= "
	    "envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from 0 ([61.31.138.57] RDNS failed) by nccdi.com with Micr"
	    "osoft SMTPSVC(6.0.3790.0); Thu, 23 Sep 2004 08:51:06 -0700",
	    1, "[ ip=61.31.138.57 rdns= helo=0 by=nccdi.com ident= envfrom"
	    "= intl=0 id= auth= msa=0 ]" },
	{ "from tthompson ([217.35.105.172] unverified) by mail.neosi"
	    "nteractive.com with Microsoft SMTPSVC(5.0.2195.5329); Tue,"
	    " 11 Mar 2003 13:23:01 +0000",
	    1, "[ ip=217.35.105.172 rdns= helo=tthompson by=mail.neosinter"
	    "active.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from  ([172.16.1.78]) by email2.codeworksonline.com with M"
	    "icrosoft SMTPSVC(5.0.2195.6713); Wed, 6 Sep 2006 21:14:29 "
	    "-0400",
	    1, "[ ip=172.16.1.78 rdns= helo= by=email2.codeworksonline.com"
	    " ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from EXC-DAG-02.global.net (10.45.252.152) by EXC-DAG-02.g"
	    "lobal.net (10.45.252.152) with Microsoft SMTP Server (vers"
	    "ion=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) "
	    "id 15.1.1261.35; Mon, 29 Oct 2018 11:17:19 +0100",
	    1, "[ ip=10.45.252.152 rdns=EXC-DAG-02.global.net helo=EXC-DAG"
	    "-02.global.net by=EXC-DAG-02.global.net ident= envfrom= in"
	    "tl=0 id=15.1.1261.35 auth= msa=0 ]" },
	{ "from list.brainbuzz.com (63.146.189.86:23198) by mx1.yourt"
	    "ech.net with [XMail 1.20 ESMTP Server] id <S72E> for <jaso"
	    "n@ellingson.org.spamassassin.org> from <bounce-cscommunity"
	    "-11965901@list.cramsession.com.spamassassin.org>; Sat, 18 "
	    "Sep 2004 23:17:54 -0500",
	    1, "[ ip=63.146.189.86 rdns= helo=list.brainbuzz.com by=mx1.yo"
	    "urtech.net ident= envfrom=bounce-cscommunity-11965901@list"
	    ".cramsession.com.spamassassin.org intl=0 id=S72E auth= msa"
	    "=0 ]" },
	{ "from list.brainbuzz.com (63.146.189.86:23198) by mx1.yourt"
	    "ech.net (209.32.147.34:25) with [XMail 1.20 ESMTP Server] "
	    "id <S72E> for <jason@ellingson.org.spamassassin.org> from "
	    "<bounce-cscommunity-11965901@list.cramsession.com.spamassa"
	    "ssin.org>; Sat, 18 Sep 2004 23:17:54 -0500",
	    1, "[ ip=63.146.189.86 rdns= helo=list.brainbuzz.com by=mx1.yo"
	    "urtech.net ident= envfrom=bounce-cscommunity-11965901@list"
	    ".cramsession.com.spamassassin.org intl=0 id=S72E auth= msa"
	    "=0 ]" },
	{ "from ([10.225.209.19:33672]) by ecelerity-va-1 (ecelerity "
	    "HEAD) with SMTP id EE/20-30863-33CE1054; Fri, 08 Sep 2006 "
	    "18:18:27 -0400",
	    0, NULL },
	{ "from ([192.168.1.151:49601] helo=dev1.democracyinaction.or"
	    "g) by m12.prod.democracyinaction.com (ecelerity 2.1.1.3 r("
	    "11743)) with ESMTP id 52/92-02454-89FBA054 for <example@va"
	    "ndinter.org>; Fri, 15 Sep 2006 10:58:32 -0400",
	    1, "[ ip=192.168.1.151 rdns= helo=dev1.democracyinaction.org b"
	    "y=m12.prod.democracyinaction.com ident= envfrom= intl=0 id"
	    "=52/92-02454-89FBA054 auth= msa=0 ]" },
	{ "from root (helo=localhost) by broadcast.iac.iafrica.com wi"
	    "th local-bsmtp (Exim 4.30; FreeBSD) id 1GN22d-0000xp-2K fo"
	    "r example@vandinter.org; Tue, 12 Sep 2006 08:46:43 +0200",
	    0, NULL },
	{ "from [61.174.163.26] (helo=host) by sc8-sf-list1.sourcefor"
	    "ge.net with smtp (Exim 3.31-VA-mm2 #1 (Debian)) id 18t2z0-"
	    "0001NX-00 for <razor-users@lists.sourceforge.net>; Wed, 12"
	    " Mar 2003 01:57:10 -0800",
	    1, "[ ip=61.174.163.26 rdns= helo=host by=sc8-sf-list1.sourcef"
	    "orge.net ident= envfrom= intl=0 id=18t2z0-0001NX-00 auth= "
	    "msa=0 ]" },
	{ "from [218.19.142.229] (helo=hotmail.com ident=yiuhyotp) by"
	    " yzordderrex with smtp (Exim 3.35 #1 (Debian)) id 194BE5-0"
	    "005Zh-00; Sat, 12 Apr 2003 03:58:53 +0100",
	    1, "[ ip=218.19.142.229 rdns= helo=hotmail.com by=yzordderrex "
	    "ident=yiuhyotp envfrom= intl=0 id=194BE5-0005Zh-00 auth= m"
	    "sa=0 ]" },
	{ "from sc8-sf-list1-b.sourceforge.net ([10.3.1.13] helo=sc8-"
	    "sf-list1.sourceforge.net) by sc8-sf-list2.sourceforge.net "
	    "with esmtp (Exim 3.31-VA-mm2 #1 (Debian)) id 18t301-0007Bh"
	    "-00; Wed, 12 Mar 2003 01:58:13 -0800",
	    1, "[ ip=10.3.1.13 rdns=sc8-sf-list1-b.sourceforge.net helo=sc"
	    "8-sf-list1.sourceforge.net by=sc8-sf-list2.sourceforge.net"
	    " ident= envfrom= intl=0 id=18t301-0007Bh-00 auth= msa=0 ]" },
	{ "from dsl092-072-213.bos1.dsl.speakeasy.net ([66.92.72.213]"
	    " helo=blazing.arsecandle.org) by sc8-sf-list1.sourceforge."
	    "net with esmtp (Cipher TLSv1:DES-CBC3-SHA:168) (Exim 3.31-"
	    "VA-mm2 #1 (Debian)) id 18lyuU-0007TI-00 for <SpamAssassin-"
	    "talk@lists.sourceforge.net>; Thu, 20 Feb 2003 14:11:18 -08"
	    "00",
	    1, "[ ip=66.92.72.213 rdns=dsl092-072-213.bos1.dsl.speakeasy.n"
	    "et helo=blazing.arsecandle.org by=sc8-sf-list1.sourceforge"
	    ".net ident= envfrom= intl=0 id=18lyuU-0007TI-00 auth= msa="
	    "0 ]" },
	{ "from eclectic.kluge.net ([66.92.69.221] ident=[W9VcNxE2vKx"
	    "gWHD05PJbLzIHSxcmZQ/O]) by sc8-sf-list1.sourceforge.net wi"
	    "th esmtp (Cipher TLSv1:DES-CBC3-SHA:168) (Exim 3.31-VA-mm2"
	    " #1 (Debian)) id 18m0hT-00031I-00 for <spamassassin-talk@l"
	    "ists.sourceforge.net>; Thu, 20 Feb 2003 16:06:00 -0800",
	    1, "[ ip=66.92.69.221 rdns=eclectic.kluge.net helo=eclectic.kl"
	    "uge.net by=sc8-sf-list1.sourceforge.net ident=!W9VcNxE2vKx"
	    "gWHD05PJbLzIHSxcmZQ/O! envfrom= intl=0 id=18m0hT-00031I-00"
	    " auth= msa=0 ]" },
	{ "from mail.ssccbelen.edu.pe ([216.244.149.154]) by yzordder"
	    "rex with esmtp (Exim 3.35 #1 (Debian)) id 18tqiz-000702-00"
	    " for <jm@example.com>; Fri, 14 Mar 2003 15:03:57 +0000",
	    1, "[ ip=216.244.149.154 rdns=mail.ssccbelen.edu.pe helo=mail."
	    "ssccbelen.edu.pe by=yzordderrex ident= envfrom= intl=0 id="
	    "18tqiz-000702-00 auth= msa=0 ]" },
	{ "from server040.webpack.hosteurope.de ([80.237.130.48]:5231"
	    "3) by vps832469583.serverpool.info with esmtps (TLS-1.0:DH"
	    "E_RSA_3DES_EDE_CBC_SHA:24) (Exim 4.50) id 1GzVLs-0002Oz-7b"
	    "...",
	    1, "[ ip=80.237.130.48 rdns=server040.webpack.hosteurope.de he"
	    "lo=server040.webpack.hosteurope.de by=vps832469583.serverp"
	    "ool.info ident= envfrom= intl=0 id=1GzVLs-0002Oz-7b... aut"
	    "h= msa=0 ]" },
	{ "from boggle.ihug.co.nz [203.109.252.209] by grunt6.ihug.co"
	    ".nz with esmtp (Exim 3.35 #1 (Debian)) id 18SWRe-0006X6-00"
	    "; Sun, 29 Dec 2002 18:57:06 +1300",
	    1, "[ ip=203.109.252.209 rdns=boggle.ihug.co.nz helo=boggle.ih"
	    "ug.co.nz by=grunt6.ihug.co.nz ident= envfrom= intl=0 id=18"
	    "SWRe-0006X6-00 auth= msa=0 ]" },
	{ "from helene8.i.pinwand.net (helene.cats.ms) [10.0.8.6.1321"
	    "9] (mail) by lisbeth.i.pinwand.net with esmtp (Exim 3.35 #"
	    "1 (Debian)) id 1CO5y7-0001vC-00; Sun, 31 Oct 2004 04:01:23"
	    " +0100",
	    1, "[ ip=10.0.8.6 rdns=helene8.i.pinwand.net helo=helene.cats."
	    "ms by=lisbeth.i.pinwand.net ident= envfrom= intl=0 id=1CO5"
	    "y7-0001vC-00 auth= msa=0 ]" },
	{ "from localhost (unknown [127.0.0.1]) by cabbage.jmason.org"
	    " (Postfix) with ESMTP id A96E18BD97 for <jm@localhost>; Th"
	    "u, 13 Mar 2003 15:23:15 -0500 (EST)",
	    1, "[ ip=127.0.0.1 rdns= helo=localhost by=cabbage.jmason.org "
	    "ident= envfrom= intl=0 id=A96E18BD97 auth= msa=0 ]" },
	{ "from 207.8.214.3 (unknown[211.94.164.65]) by puzzle.pobox."
	    "com (Postfix) with SMTP id 9029AFB732; Sat,  8 Nov 2003 17"
	    ":57:46 -0500 (EST)",
	    1, "[ ip=211.94.164.65 rdns= helo=207.8.214.3 by=puzzle.pobox."
	    "com ident= envfrom= intl=0 id=9029AFB732 auth= msa=0 ]" },
	{ "from DPLAPTOP ( 72.242.176.162) by mail.puryear-it.com (Sc"
	    "alix SMTP Relay 10.0.1.3) via ESMTP; Fri, 23 Jun 2006 16:3"
	    "9:47 -0500 (CDT)",
	    1, "[ ip=72.242.176.162 rdns= helo=DPLAPTOP by=mail.puryear-it"
	    ".com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from 217.137.58.28 ([217.137.58.28]) by webmail.ukonline.n"
	    "et (IMP) with HTTP for <anarchyintheuk@localhost>; Sun, 11"
	    " Apr 2004 00:31:07 +0100",
	    1, "[ ip=217.137.58.28 rdns= helo= by=webmail.ukonline.net ide"
	    "nt= envfrom= intl=0 id= auth=HTTP msa=0 ]" },
	{ "from mail1.insuranceiq.com (host66.insuranceiq.com [65.217"
	    ".159.66] (may be forged)) by dogma.slashnull.org (8.11.6/8"
	    ".11.6) with ESMTP id h2F0c2x31856 for <jm@jmason.org>; Sat"
	    ", 15 Mar 2003 00:38:03 GMT",
	    1, "[ ip=65.217.159.66 rdns=host66.insuranceiq.com helo=mail1."
	    "insuranceiq.com by=dogma.slashnull.org ident= envfrom= int"
	    "l=0 id=h2F0c2x31856 auth= msa=0 ]" },
	{ "from BAY0-HMR08.adinternal.hotmail.com (bay0-hmr08.bay0.ho"
	    "tmail.com [65.54.241.207]) by dogma.slashnull.org (8.11.6/"
	    "8.11.6) with ESMTP id h2DBpvs24047 for <webmaster@efi.ie>;"
	    " Thu, 13 Mar 2003 11:51:57 GMT",
	    1, "[ ip=65.54.241.207 rdns=bay0-hmr08.bay0.hotmail.com helo=B"
	    "AY0-HMR08.adinternal.hotmail.com by=dogma.slashnull.org id"
	    "ent= envfrom= intl=0 id=h2DBpvs24047 auth= msa=0 ]" },
	{ "from ran-out.mx.develooper.com (IDENT:qmailr@one.develoope"
	    "r.com [64.81.84.115]) by dogma.slashnull.org (8.11.6/8.11."
	    "6) with SMTP id h381Vvf19860 for <jm-cpan@jmason.org>; Tue"
	    ", 8 Apr 2003 02:31:57 +0100",
	    1, "[ ip=64.81.84.115 rdns=one.develooper.com helo=ran-out.mx."
	    "develooper.com by=dogma.slashnull.org ident=qmailr envfrom"
	    "= intl=0 id=h381Vvf19860 auth= msa=0 ]" },
	{ "from rev.net (natpool62.rev.net [63.148.93.62] (may be for"
	    "ged)) (authenticated) by mail.rev.net (8.11.4/8.11.4) with"
	    " ESMTP id h0KKa7d32306 for <spamassassin-talk@lists.source"
	    "forge.net>",
	    1, "[ ip=63.148.93.62 rdns=natpool62.rev.net helo=rev.net by=m"
	    "ail.rev.net ident= envfrom= intl=0 id=h0KKa7d32306 auth=Se"
	    "ndmail msa=0 ]" },
	{ "from ns.elcanto.co.kr (66.161.246.58 [66.161.246.58]) by m"
	    "ail.ssccbelen.edu.pe with SMTP (Microsoft Exchange Interne"
	    "t Mail Service Version 5.5.1960.3) id G69TW478; Thu, 13 Ma"
	    "r 2003 14:01:10 -0500",
	    1, "[ ip=66.161.246.58 rdns=66.161.246.58 helo=ns.elcanto.co.k"
	    "r by=mail.ssccbelen.edu.pe ident= envfrom= intl=0 id=G69TW"
	    "478 auth= msa=0 ]" },
	{ "from mail2.detr.gsi.gov.uk ([51.64.35.18] helo=ahvfw.dtlr."
	    "gsi.gov.uk) by mail4.gsi.gov.uk with smtp id 190K1R-0000me"
	    "-00 for spamassassin-talk-admin@lists.sourceforge.net; Tue"
	    ", 01 Apr 2003 12:33:46 +0100",
	    1, "[ ip=51.64.35.18 rdns=mail2.detr.gsi.gov.uk helo=ahvfw.dtl"
	    "r.gsi.gov.uk by=mail4.gsi.gov.uk ident= envfrom= intl=0 id"
	    "=190K1R-0000me-00 auth= msa=0 ]" },
	{ "from 12-211-5-69.client.attbi.com (<unknown.domain>[12.211"
	    ".5.69]) by rwcrmhc53.attbi.com (rwcrmhc53) with SMTP id <2"
	    "002112823351305300akl1ue>; Thu, 28 Nov 2002 23:35:13 +0000",
	    1, "[ ip=12.211.5.69 rdns= helo=12-211-5-69.client.attbi.com b"
	    "y=rwcrmhc53.attbi.com ident= envfrom= intl=0 id=2002112823"
	    "351305300akl1ue auth= msa=0 ]" },
	{ "from attbi.com (h000502e08144.ne.client2.attbi.com[24.128."
	    "27.103]) by rwcrmhc53.attbi.com (rwcrmhc53) with SMTP id <"
	    "20030222193438053008f7tee>; Sat, 22 Feb 2003 19:34:39 +000"
	    "0",
	    1, "[ ip=24.128.27.103 rdns=h000502e08144.ne.client2.attbi.com"
	    " helo=attbi.com by=rwcrmhc53.attbi.com ident= envfrom= int"
	    "l=0 id=20030222193438053008f7tee auth= msa=0 ]" },
	{ "from 4wtgRl (kgbxn@[211.244.147.115]) by dogma.slashnull.o"
	    "rg (8.11.6/8.11.6) with SMTP id h8BBsUJ18848; Thu, 11 Sep "
	    "2003 12:54:31 +0100",
	    1, "[ ip=211.244.147.115 rdns= helo=4wtgRl by=dogma.slashnull."
	    "org ident=kgbxn envfrom= intl=0 id=h8BBsUJ18848 auth= msa="
	    "0 ]" },
	{ "from 213.123.174.21 by lw11fd.law11.hotmail.msn.com with H"
	    "TTP; Wed, 24 Jul 2002 16:36:44 GMT",
	    1, "[ ip=213.123.174.21 rdns= helo= by=lw11fd.law11.hotmail.ms"
	    "n.com ident= envfrom= intl=0 id= auth=HTTP msa=0 ]" },
	{ "from x71-x56-x24-5.webspeed.dk (HELO niels) (69.96.3.15) b"
	    "y la.mx.develooper.com (qpsmtpd/0.27-dev) with SMTP; Fri, "
	    "02 Jan 2004 19:26:52 -0800",
	    1, "[ ip=69.96.3.15 rdns=x71-x56-x24-5.webspeed.dk helo=niels "
	    "by=la.mx.develooper.com ident= envfrom= intl=0 id= auth= m"
	    "sa=0 ]" },
	{ "from sc8-sf-sshgate.sourceforge.net (HELO sc8-sf-netmisc.s"
	    "ourceforge.net) (66.35.250.220) by la.mx.develooper.com (q"
	    "psmtpd/0.27-dev) with ESMTP; Fri, 02 Jan 2004 14:44:41 -08"
	    "00",
	    1, "[ ip=66.35.250.220 rdns=sc8-sf-sshgate.sourceforge.net hel"
	    "o=sc8-sf-netmisc.sourceforge.net by=la.mx.develooper.com i"
	    "dent= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from mx10.topofferz.net (HELO ) (69.6.60.10) by blazing.ar"
	    "secandle.org with SMTP; 3 Mar 2004 20:34:38 -0000",
	    1, "[ ip=69.6.60.10 rdns=mx10.topofferz.net helo= by=blazing.a"
	    "rsecandle.org ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from mail-backend.DDDD.com (LHLO mail-backend.DDDD.com) (1"
	    "0.2.2.20) by mail-backend.DDDD.com with LMTP; Thu, 18 Jun "
	    "2015 16:50:56 -0700 (PDT)",
	    1, "[ ip=10.2.2.20 rdns=mail-backend.DDDD.com helo=mail-backen"
	    "d.DDDD.com by=mail-backend.DDDD.com ident= envfrom= intl=0"
	    " id= auth= msa=0 ]" },
	{ "from dslb-082-083-045-064.pools.arcor-ip.net (EHLO homepc)"
	    " [82.83.45.64] by mail.gmx.net (mp010) with SMTP; 03 Feb 2"
	    "007 13:13:47 +0100",
	    1, "[ ip=82.83.45.64 rdns=dslb-082-083-045-064.pools.arcor-ip."
	    "net helo=homepc by=mail.gmx.net ident= envfrom= intl=0 id="
	    " auth=GMX (SMTP / mail.gmx.net) msa=0 ]" },
	{ "from imo-m01.mx.aol.com ([64.12.136.4]) by eagle.glenraven"
	    ".com via smtpd (for [198.85.87.98]) with SMTP; Wed, 08 Oct"
	    " 2003 16:25:37 -0400",
	    1, "[ ip=64.12.136.4 rdns= helo=imo-m01.mx.aol.com by=eagle.gl"
	    "enraven.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from postfix3-2.free.fr (HELO machine.domain.com) (foobar@"
	    "213.228.0.169) by totor.bouissou.net with SMTP; 14 Nov 200"
	    "3 08:05:50 -0000",
	    1, "[ ip=213.228.0.169 rdns=postfix3-2.free.fr helo=machine.do"
	    "main.com by=totor.bouissou.net ident=foobar envfrom= intl="
	    "0 id= auth= msa=0 ]" },
	{ "from unknown (HELO terpsichore.farfalle.com) (jdavid@[216."
	    "254.40.70]) (envelope-sender <jdavid@farfalle.com>) by mai"
	    "l13.speakeasy.net (qmail-ldap-1.03) with SMTP for <jm@jmas"
	    "on.org>; 12 Feb 2003 18:23:19 -0000",
	    1, "[ ip=216.254.40.70 rdns= helo=terpsichore.farfalle.com by="
	    "mail13.speakeasy.net ident=jdavid envfrom=jdavid@farfalle."
	    "com intl=0 id= auth= msa=0 ]" },
	{ "from 211.245.85.228  (EHLO ) (211.245.85.228) by mta232.ma"
	    "il.scd.yahoo.com with SMTP; Sun, 25 Jan 2004 00:24:37 -080"
	    "0",
	    1, "[ ip=211.245.85.228 rdns=211.245.85.228 helo= by=mta232.ma"
	    "il.scd.yahoo.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from [193.220.176.134] by web40310.mail.yahoo.com via HTTP"
	    "; Wed, 12 Feb 2003 14:22:21 PST",
	    1, "[ ip=193.220.176.134 rdns= helo= by=web40310.mail.yahoo.co"
	    "m ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from 192.168.5.158 ( [192.168.5.158]) as user jason@localh"
	    "ost by mail.reusch.net with HTTP; Mon, 8 Jul 2002 23:24:56"
	    " -0400",
	    1, "[ ip=192.168.5.158 rdns= helo= by=mail.reusch.net ident= e"
	    "nvfrom= intl=0 id= auth=HTTP msa=0 ]" },
	{ "from (64.52.135.194 [64.52.135.194]) by mail.unearthed.com"
	    " with ESMTP id BQB0hUH2 Thu, 20 Feb 2003 16:13:20 -0700 (P"
	    "ST)",
	    1, "[ ip=64.52.135.194 rdns= helo=64.52.135.194 by=mail.uneart"
	    "hed.com ident= envfrom= intl=0 id=BQB0hUH2 auth= msa=0 ]" },
	{ "from [65.167.180.251] by relent.cedata.com (MessageWall 1."
	    "1.0) with SMTP; 20 Feb 2003 23:57:15 -0000",
	    1, "[ ip=65.167.180.251 rdns= helo= by=relent.cedata.com ident"
	    "= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from (130.215.36.186) by mcafee.wpi.edu via smtp id 021b_7"
	    "e19a55a_ea7e_11da_83a9_00304811e63a; Tue, 23 May 2006 13:0"
	    "6:35 -0400",
	    1, "[ ip=130.215.36.186 rdns= helo= by=mcafee.wpi.edu ident= e"
	    "nvfrom= intl=0 id=021b_7e19a55a_ea7e_11da_83a9_00304811e63"
	    "a auth= msa=0 ]" },
	{ "from ([172.21.2.10]) by out-relay4.mtahq.org with ESMTP  i"
	    "d 4420961.8281; Tue, 22 Aug 2006 17:53:08 -0400",
	    1, "[ ip=172.21.2.10 rdns= helo= by=out-relay4.mtahq.org ident"
	    "= envfrom= intl=0 id=4420961.8281 auth= msa=0 ]" },
	{ "from acecomms [202.83.84.95] by mailscan.acenet.net.au [20"
	    "2.83.84.27] with SMTP (MDaemon.PRO.v5.0.6.R) for <spamassa"
	    "ssin-talk@lists.sourceforge.net>; Fri, 21 Feb 2003 09:32:2"
	    "7 +1000",
	    1, "[ ip=202.83.84.95 rdns= helo=acecomms by=mailscan.acenet.n"
	    "et.au ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from mail.sxptt.zj.cn ([218.0.185.24]) by dogma.slashnull."
	    "org (8.11.6/8.11.6) with ESMTP id h2FH0Zx11330 for <webmas"
	    "ter@efi.ie>; Sat, 15 Mar 2003 17:00:41 GMT",
	    1, "[ ip=218.0.185.24 rdns= helo=mail.sxptt.zj.cn by=dogma.sla"
	    "shnull.org ident= envfrom= intl=0 id=h2FH0Zx11330 auth= ms"
	    "a=0 ]" },
	{ "from umr-mail7.umr.edu (umr-mail7.umr.edu [131.151.1.64]) "
	    "via ESMTP by mrelay1.cc.umr.edu (8.12.1/) id h06GHYLZ02248"
	    "1; Mon, 6 Jan 2003 10:17:34 -0600",
	    1, "[ ip=131.151.1.64 rdns=umr-mail7.umr.edu helo=umr-mail7.um"
	    "r.edu by=mrelay1.cc.umr.edu ident= envfrom= intl=0 id=h06G"
	    "HYLZ022481 auth= msa=0 ]" },
	{ "from Agni (localhost [::ffff:127.0.0.1]) (TLS: TLSv1/SSLv3"
	    ", 168bits,DES-CBC3-SHA) by agni.forevermore.net with esmtp"
	    "; Mon, 28 Oct 2002 14:48:52 -0800",
	    1, "[ ip=127.0.0.1 rdns=localhost helo=Agni by=agni.forevermor"
	    "e.net ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from gandalf ([4.37.75.131]) (authenticated bits=0) by her"
	    "ald.cc.purdue.edu (8.12.5/8.12.5/herald) with ESMTP id g9J"
	    "Lefrm028228 for <spamassassin-talk@lists.sourceforge.net>;"
	    " Sat, 19 Oct 2002 16:40:41 -0500 (EST)",
	    1, "[ ip=4.37.75.131 rdns= helo=gandalf by=herald.cc.purdue.ed"
	    "u ident= envfrom= intl=0 id=g9JLefrm028228 auth=Sendmail m"
	    "sa=0 ]" },
	{ "from bushinternet.com (softdnserr [::ffff:61.99.99.67]) by"
	    " mail.cs.helsinki.fi with esmtp; Fri, 22 Aug 2003 12:25:41"
	    " +0300",
	    1, "[ ip=61.99.99.67 rdns= helo=bushinternet.com by=mail.cs.he"
	    "lsinki.fi ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from jsoliday.acs.internap.com ([63.251.66.24.63559]) by m"
	    "ailhost.acs.internap.com with esmtp  (v3.35.1) id 1GNrLz-0"
	    "00295-00; Thu, 14 Sep 2006 09:34:07 -0400",
	    1, "[ ip=63.251.66.24 rdns= helo=jsoliday.acs.internap.com by="
	    "mailhost.acs.internap.com ident= envfrom= intl=0 id=1GNrLz"
	    "-000295-00 auth= msa=0 ]" },
	{ "from roissy (p573.as1.exs.dublin.eircom.net [159.134.226.6"
	    "1]) (authenticated bits=0) by slate.dublin.wbtsystems.com "
	    "(8.12.6/8.12.6) with ESMTP id g9MFWcvb068860 for <jm@jmaso"
	    "n.org>; Tue, 22 Oct 2002 16:32:39 +0100 (IST)",
	    1, "[ ip=159.134.226.61 rdns=p573.as1.exs.dublin.eircom.net he"
	    "lo=roissy by=slate.dublin.wbtsystems.com ident= envfrom= i"
	    "ntl=0 id=g9MFWcvb068860 auth=Sendmail msa=0 ]" },
	{ "from cabbage.jmason.org [127.0.0.1] by localhost with IMAP"
	    " (fetchmail-5.9.0) for jm@localhost (single-drop); Thu, 13"
	    " Mar 2003 20:39:56 -0800 (PST)",
	    0, NULL },
	{ "from unknown (HELO feux01a-isp) (213.199.4.210) by totor.b"
	    "ouissou.net with SMTP; 1 Nov 2003 07:05:19 -0000",
	    1, "[ ip=213.199.4.210 rdns= helo=feux01a-isp by=totor.bouisso"
	    "u.net ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from adsl-207-213-27-129.dsl.lsan03.pacbell.net (HELO merl"
	    "in.net.au) (Owner50@207.213.27.129) by totor.bouissou.net "
	    "with SMTP; 10 Nov 2003 06:30:34 -0000",
	    1, "[ ip=207.213.27.129 rdns=adsl-207-213-27-129.dsl.lsan03.pa"
	    "cbell.net helo=merlin.net.au by=totor.bouissou.net ident=O"
	    "wner50 envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from x1-6-00-04-bd-d2-e0-a3.k317.webspeed.dk (benelli@80.1"
	    "67.158.170) by totor.bouissou.net with SMTP; 5 Nov 2003 23"
	    ":18:42 -0000",
	    1, "[ ip=80.167.158.170 rdns=x1-6-00-04-bd-d2-e0-a3.k317.websp"
	    "eed.dk helo=x1-6-00-04-bd-d2-e0-a3.k317.webspeed.dk by=tot"
	    "or.bouissou.net ident=benelli envfrom= intl=0 id= auth= ms"
	    "a=0 ]" },
	{ "from [129.24.215.125] by ws1-7.us4.outblaze.com with http "
	    "for _bushisevil_@mail.com; Thu, 13 Feb 2003 15:59:28 -0500",
	    1, "[ ip=129.24.215.125 rdns= helo= by=ws1-7.us4.outblaze.com "
	    "ident= envfrom= intl=0 id= auth=http msa=0 ]" },
	{ "from snake.corp.yahoo.com(216.145.52.229) by x.x.org via s"
	    "map (V1.3) id xma093673; Wed, 26 Mar 03 20:43:24 -0600",
	    1, "[ ip=216.145.52.229 rdns=snake.corp.yahoo.com helo= by=x.x"
	    ".org ident= envfrom= intl=0 id=xma093673 auth= msa=0 ]" },
	{ "from smtp.greyware.com(208.14.208.51, HELO smtp.sff.net) b"
	    "y x.x.org via smap (V1.3) id xma002908; Fri, 27 Feb 04 14:"
	    "16:56 -0800",
	    1, "[ ip=208.14.208.51 rdns=smtp.greyware.com helo=smtp.sff.ne"
	    "t by=x.x.org ident= envfrom= intl=0 id=xma002908 auth= msa"
	    "=0 ]" },
	{ "from [192.168.0.71] by web01-nyc.clicvu.com (Post.Office M"
	    "TA v3.5.3 release 223 ID# 0-64039U1000L100S0V35) with SMTP"
	    " id com for <x@x.org>; Tue, 25 Mar 2003 11:42:04 -0500",
	    1, "[ ip=192.168.0.71 rdns= helo= by=web01-nyc.clicvu.com iden"
	    "t= envfrom= intl=0 id=com auth= msa=0 ]" },
	{ "from [127.0.0.1] by euphoria (ArGoSoft Mail Server Freewar"
	    "e, Version 1.8 (1.8.2.5)); Sat, 8 Feb 2003 09:45:32 +0200",
	    1, "[ ip=127.0.0.1 rdns= helo= by=euphoria ident= envfrom= int"
	    "l=0 id= auth= msa=0 ]" },
	{ "from 157.54.8.23 by inet-vrs-05.redmond.corp.microsoft.com"
	    " (InterScan E-Mail VirusWall NT); Thu, 06 Mar 2003 12:02:3"
	    "5 -0800",
	    1, "[ ip=157.54.8.23 rdns= helo= by=inet-vrs-05.redmond.corp.m"
	    "icrosoft.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from 10.165.130.62 by CNNIMAIL12.CNN.COM (SMTPL release 1."
	    "0d) with TCP; Fri, 1 Sep 2006 20:28:14 -0400",
	    1, "[ ip=10.165.130.62 rdns= helo= by=CNNIMAIL12.CNN.COM ident"
	    "= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from spike (spike.ig.co.uk [193.32.60.32]) by mail.ig.co.u"
	    "k with SMTP id h27CrCD03362 for <asrg@ietf.org>; Fri, 7 Ma"
	    "r 2003 12:53:12 GMT",
	    1, "[ ip=193.32.60.32 rdns=spike.ig.co.uk helo=spike by=mail.i"
	    "g.co.uk ident= envfrom= intl=0 id=h27CrCD03362 auth= msa=0"
	    " ]" },
	{ "from customer254-217.iplannetworks.net (HELO AGAMENON) (ba"
	    "ldusi@200.69.254.217 with plain) by smtp.mail.vip.sc5.yaho"
	    "o.com with SMTP; 11 Mar 2003 21:03:28 -0000",
	    1, "[ ip=200.69.254.217 rdns=customer254-217.iplannetworks.net"
	    " helo=AGAMENON by=smtp.mail.vip.sc5.yahoo.com ident=baldus"
	    "i envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from [192.168.1.104] (account nazgul HELO [192.168.1.104])"
	    " by somewhere.com (CommuniGate Pro SMTP 3.5.7) with ESMTP-"
	    "TLS id 2088434; Fri, 07 Mar 2003 13:05:06 -0500",
	    1, "[ ip=192.168.1.104 rdns= helo=!192.168.1.104! by=somewhere"
	    ".com ident= envfrom= intl=0 id=2088434 auth=Communigate ms"
	    "a=0 ]" },
	{ "from host.example.com ([192.0.2.1] verified) by mail.examp"
	    "le.net (CommuniGate Pro SMTP 5.1.13) with ESMTP id 9786656"
	    " for user@example.net; Thu, 27 Mar 2008 15:08:17 +0600",
	    1, "[ ip=192.0.2.1 rdns=host.example.com helo=host.example.com"
	    " by=mail.example.net ident= envfrom= intl=0 id=9786656 aut"
	    "h= msa=0 ]" },
	{ "from ([10.0.0.6]) by mail0.ciphertrust.com with ESMTP ; Th"
	    "u, 13 Mar 2003 06:26:21 -0500 (EST)",
	    1, "[ ip=10.0.0.6 rdns= helo= by=mail0.ciphertrust.com ident= "
	    "envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from ironport.com (10.1.1.5) by a50.ironport.com with ESMT"
	    "P; 01 Apr 2003 12:00:51 -0800",
	    1, "[ ip=10.1.1.5 rdns=ironport.com helo=ironport.com by=a50.i"
	    "ronport.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from dyn-81-166-39-132.ppp.tiscali.fr (81.166.39.132) by c"
	    "pmail.dk.tiscali.com (6.7.018)",
	    1, "[ ip=81.166.39.132 rdns=dyn-81-166-39-132.ppp.tiscali.fr h"
	    "elo=dyn-81-166-39-132.ppp.tiscali.fr by=cpmail.dk.tiscali."
	    "com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from scv3.apple.com (scv3.apple.com) by mailgate2.apple.co"
	    "m (Content Technologies SMTPRS 4.2.1) with ESMTP id <T6109"
	    "5998e1118164e13f8@mailgate2.apple.com>; Mon, 17 Mar 2003 1"
	    "7:04:54 -0800",
	    0, NULL },
	{ "from 01al10015010057.ad.bls.com ([90.152.5.141] [90.152.5."
	    "141]) by aismtp3g.bls.com with ESMTP; Mon, 10 Mar 2003 11:"
	    "10:41 -0500",
	    1, "[ ip=90.152.5.141 rdns= helo=01al10015010057.ad.bls.com by"
	    "=aismtp3g.bls.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from 206.47.0.153 by dm3cn8.bell.ca with ESMTP (Tumbleweed"
	    " MMS SMTP Relay (MMS v5.0)); Mon, 24 Mar 2003 19:49:48 -05"
	    "00",
	    1, "[ ip=206.47.0.153 rdns= helo= by=dm3cn8.bell.ca ident= env"
	    "from= intl=0 id= auth= msa=0 ]" },
	{ "from pobox.com (h005018086b3b.ne.client2.attbi.com[66.31.4"
	    "5.164]) by rwcrmhc53.attbi.com (rwcrmhc53) with SMTP id <2"
	    "003031302165605300suph7e>; Thu, 13 Mar 2003 02:16:56 +0000",
	    1, "[ ip=66.31.45.164 rdns=h005018086b3b.ne.client2.attbi.com "
	    "helo=pobox.com by=rwcrmhc53.attbi.com ident= envfrom= intl"
	    "=0 id=2003031302165605300suph7e auth= msa=0 ]" },
	{ "from [10.128.128.81]:50999 (HELO dfintra.f-secure.com) by "
	    "fsav4im2 ([10.128.128.74]:25) (F-Secure Anti-Virus for Int"
	    "ernet Mail 6.0.34 Release) with SMTP; Tue, 5 Mar 2002 14:1"
	    "1:53 -0000",
	    1, "[ ip=10.128.128.81 rdns= helo=dfintra.f-secure.com by=fsav"
	    "4im2 ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from 62.180.7.250 (HELO daisy) by smtp.altavista.de (209.2"
	    "28.22.152) with SMTP; 19 Sep 2002 17:03:17 +0000",
	    1, "[ ip=62.180.7.250 rdns= helo=daisy by=smtp.altavista.de id"
	    "ent= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from oemcomputer [63.232.189.195] by highstream.net (SMTPD"
	    "32-7.07) id A4CE7F2A0028; Sat, 01 Feb 2003 21:39:10 -0500",
	    1, "[ ip=63.232.189.195 rdns= helo=oemcomputer by=highstream.n"
	    "et ident= envfrom= intl=0 id=A4CE7F2A0028 auth= msa=0 ]" },
	{ "from nodnsquery(192.100.64.12) by herbivore.monmouth.edu v"
	    "ia csmap (V4.1) id srcAAAyHaywy",
	    1, "[ ip=192.100.64.12 rdns=nodnsquery helo= by=herbivore.monm"
	    "outh.edu ident= envfrom= intl=0 id=srcAAAyHaywy auth= msa="
	    "0 ]" },
	{ "from [192.168.0.13] by <server> (MailGate 3.5.172) with SM"
	    "TP; Tue, 1 Apr 2003 15:04:55 +0100",
	    1, "[ ip=192.168.0.13 rdns= helo= by=!server! ident= envfrom= "
	    "intl=0 id= auth= msa=0 ]" },
	{ "from jmason.org (unverified [195.218.107.131]) by ni-mail1"
	    ".dna.utvinternet.net <B0014212518@ni-mail1.dna.utvinternet"
	    ".net>; Tue, 11 Feb 2003 12:18:12 +0000",
	    1, "[ ip=195.218.107.131 rdns=unverified helo=jmason.org by=ni"
	    "-mail1.dna.utvinternet.net ident= envfrom= intl=0 id= auth"
	    "= msa=0 ]" },
	{ "from [212.87.144.30] (account seiz [212.87.144.30] verifie"
	    "d) by x.imd.net (CommuniGate Pro SMTP 4.0.3) with ESMTP-TL"
	    "S id 5026665 for spamassassin-talk@lists.sourceforge.net; "
	    "Wed, 15 Jan 2003 16:27:05 +0100",
	    1, "[ ip=212.87.144.30 rdns= helo= by=x.imd.net ident= envfrom"
	    "= intl=0 id=5026665 auth=Communigate msa=0 ]" },
	{ "from [206.51.230.145] (helo=t-online.de) by mxeu2.kundense"
	    "rver.de with ESMTP (Nemesis), id 0MKpdM-1CkRpr14PF-000608;"
	    " Fri, 31 Dec 2004 19:49:15 +0100",
	    1, "[ ip=206.51.230.145 rdns= helo=t-online.de by=mxeu2.kunden"
	    "server.de ident= envfrom= intl=0 id=0MKpdM-1CkRpr14PF-0006"
	    "08 auth= msa=0 ]" },
	{ "from mtsbp606.email-info.net (?dXqpg3b0hiH9faI2OxLT94P/YKD"
	    "D3rQ1?@64.253.199.166) by kde.informatik.uni-kl.de with SM"
	    "TP; 30 Apr 2003 15:06:29",
	    1, "[ ip=64.253.199.166 rdns=mtsbp606.email-info.net helo=mtsb"
	    "p606.email-info.net by=kde.informatik.uni-kl.de ident=?dXq"
	    "pg3b0hiH9faI2OxLT94P/YKDD3rQ1? envfrom= intl=0 id= auth= m"
	    "sa=0 ]" },
	{ "from TCE-E-7-182-54.bta.net.cn(202.106.182.54) via SMTP by"
	    " st.tahina.priv.at, id smtpdEDUB8h; Sun Nov 13 14:50:12 20"
	    "05",
	    1, "[ ip=202.106.182.54 rdns=TCE-E-7-182-54.bta.net.cn helo= b"
	    "y=st.tahina.priv.at ident= envfrom= intl=0 id=smtpdEDUB8h "
	    "auth= msa=0 ]" },
	{ "from pl027.nas934.d-osaka.nttpc.ne.jp(61.197.82.27), claim"
	    "ing to be \"foo.woas.net\" via SMTP by st.tahina.priv.at, "
	    "id smtpd1PBsZT; Sun Nov 13 15:38:52 2005",
	    1, "[ ip=61.197.82.27 rdns=pl027.nas934.d-osaka.nttpc.ne.jp he"
	    "lo=foo.woas.net by=st.tahina.priv.at ident= envfrom= intl="
	    "0 id=smtpd1PBsZT auth= msa=0 ]" },
	{ "from itrqtnlnq (lucilleskinner@93.124.107.183 with login) "
	    "by smtp111.mail.ne1.yahoo.com with SMTP; 17 Jan 2011 08:23"
	    ":27 -0800 PST",
	    1, "[ ip=93.124.107.183 rdns= helo=itrqtnlnq by=smtp111.mail.n"
	    "e1.yahoo.com ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from 127.0.0.1 (AVG SMTP 7.0.299 [265.6.8]); Wed, 05 Jan 2"
	    "005 15:06:48 -0800",
	    0, NULL },
	{ "from Unknown/Local ([?.?.?.?]) by mailcity.com; Fri, 17 Ja"
	    "n 2003 15:23:29 -0000",
	    0, NULL },
	{ "from localhost (localhost [127.0.0.1]) (uid 500) by mail w"
	    "ith local; Tue, 07 Jan 2003 11:40:47 -0600",
	    1, "[ ip=127.0.0.1 rdns=localhost helo=localhost by=mail ident"
	    "= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from olgisoft.com (127.0.0.1) by 127.0.0.1 (EzMTS MTSSmtp "
	    "1.55d5) ; Thu, 20 Mar 03 10:06:43 +0100 for <asrg@ietf.org"
	    ">",
	    1, "[ ip=127.0.0.1 rdns=olgisoft.com helo=olgisoft.com by=127."
	    "0.0.1 ident= envfrom= intl=0 id= auth= msa=0 ]" },
	{ "from (AUTH: e40a9cea) by vqx.net with esmtp (courier-0.40)"
	    " for <asrg@ietf.org>; Mon, 03 Mar 2003 14:49:28 +0000",
	    0, NULL },
	{ "from GWGC6-MTA by gc6.jefferson.co.us with Novell_GroupWis"
	    "e; Tue, 30 Nov 2004 10:09:15 -0700",
	    0, NULL },
	{ "from 156.56.111.196 by blazing.arsecandle.org (envelope-fr"
	    "om <gentoo-announce-return-530-rod=arsecandle.org@lists.ge"
	    "ntoo.org>, uid 502) with qmail-scanner-1.24 (clamdscan: 0."
	    "80/594. f-prot: 4.4.2/3.14.11. Clear:RC:0(156.56.111.196):"
	    ". Processed in 0.288806 secs); 06 Feb 2005 21:11:38 -0000",
	    0, NULL },
	{ "from CATHY.IJS.SI by CATHY.IJS.SI (PMDF V4.3-10 #8779) id "
	    "<01KTSSR50NSW001MXN@CATHY.IJS.SI>; Fri, 21 Mar 2003 20:50:"
	    "56 +0100",
	    0, NULL },
	{ "from senmail2.senate.gov with LMTP by senmail2 (3.0.2/siev"
	    "ed-3-0-build-942) for <example@vandinter.org>; Fri, 30 Jun"
	    " 2006 10:58:41 -0400",
	    0, NULL },
	{ "from localhost (example.com [local]) by example.com (OpenS"
	    "MTPD) with ESMTPA id 5db34e0d for <email@example.com>; Tue"
	    ", 7 Apr 2020 01:38:29 -0600 (MDT)",
	    0, NULL },
	{ "from facebook.com (RrlQsUbrndsQ6/zbJaSzSPcmy3GwqE5h6IukkE5"
	    "GGBIJgonAFnoQE3L+9tv2TU3e 2401:db00:1110:50e8:face:0000:00"
	    "2f:0000) by facebook.com with Thrift id 423753524b5011e9a8"
	    "3e248a0796a3b2-169bd530; Wed, 20 Mar 2019 13:39:29 -0700",
	    0, NULL },
	{ "from [<4124973-137966-3089@be2.maropost.com>] ([<4124973-1"
	    "37966-3089@be2.maropost.com>] helo=maropost.com)  by 64385"
	    "2-mailer2 (envelope-from 4124973-137966-3089@be2.maropost."
	    "com) (Jetsend MTA 0.0.1 with ESMTP; Fri Sep 14 14:36:56 ED"
	    "T 2018",
	    0, NULL },
	{ "FROM hackers.mr.itd.umich.edu (smtp.mail.umich.edu [141.21"
	    "1.14.81]) BY madman.mr.itd.umich.edu ID 434B508E.174A6.139"
	    "32 ; 11 Oct 2005 01:41:34 -0400",
	    1, "[ ip=141.211.14.81 rdns=smtp.mail.umich.edu helo=hackers.m"
	    "r.itd.umich.edu by=madman.mr.itd.umich.edu ident= envfrom="
	    " intl=0 id=434B508E.174A6.13932 auth= msa=0 ]" },
	{ "FROM [192.168.1.24] (s233-64-90-216.try.wideopenwest.com ["
	    "64.233.216.90]) BY hackers.mr.itd.umich.edu ID 434B5051.8C"
	    "DE5.15436 ; 11 Oct 2005 01:40:33 -0400",
	    1, "[ ip=64.233.216.90 rdns=s233-64-90-216.try.wideopenwest.co"
	    "m helo=!192.168.1.24! by=hackers.mr.itd.umich.edu ident= e"
	    "nvfrom= intl=0 id=434B5051.8CDE5.15436 auth= msa=0 ]" },
	{ "FROM helo (1.2.3.4 [1.2.3.4]) BY xxx.com (Rockliffe SMTPRA"
	    " 10.3.0) WITH SMTP ID <B0065361981@xxx.com> FOR <foo@bar.n"
	    "et>; Tue, 6 Nov 2018 07:41:26 +0200",
	    1, "[ ip=1.2.3.4 rdns=1.2.3.4 helo=helo by=xxx.com ident= envf"
	    "rom= intl=0 id=B0065361981@xxx.com auth= msa=0 ]" },
	{ "(from localhost [24.180.47.240]) by host.name (NAVGW 2.5.2"
	    ".12) with SMTP id M2006060503484615455 for <user@domain.co"
	    ".uk>; Mon, 05 Jun 2006 03:48:47 +0100",
	    1, "[ ip=24.180.47.240 rdns= helo=localhost by=host.name ident"
	    "= envfrom= intl=0 id=M2006060503484615455 auth= msa=0 ]" },
};

/* The line folded the way a trickle schedule splits it: a fold (CRLF and
 * a tab) replaces the space at each chunk boundary, so the parse must not
 * depend on how the MTA wrapped its header. */
static struct string_view
fold_line(struct arena *arena, const char *line, enum trickle_mode mode)
{
	size_t length = strlen(line), at = 0, chunk;
	uint32_t state = 12345;
	char *out = arena_alloc(arena, length * 3 + 1), *p = out;

	if (mode == TRICKLE_WHOLE)
		return string_view_from_cstring(line);
	while (at < length) {
		chunk = trickle_next_chunk(mode, length - at, &state);
		memcpy(p, line + at, chunk);
		p += chunk;
		at += chunk;
		if (at < length && line[at] == ' ') {
			memcpy(p, "\r\n\t", 3);
			p += 3;
			at++;
		}
	}
	return string_view_make(out, (size_t)(p - out));
}

static void
test_line_formats(void)
{
	struct received_relay relay;
	struct arena *arena;
	const char *text;
	size_t i;
	int mode, ret;

	for (i = 0; i < ARRAY_LENGTH(line_cases); i++) {
		for (mode = 0; mode < TRICKLE_MODES; mode++) {
			arena = arena_new("test", 0);
			ret = received_parse_line(arena, fold_line(arena,
			    line_cases[i].line, (enum trickle_mode)mode),
			    &relay);
			if (ret != line_cases[i].result) {
				test_fail(__FILE__, __LINE__,
				    "case %zu (%s): result %d, want %d: %s", i,
				    trickle_mode_name((enum trickle_mode)mode),
				    ret, line_cases[i].result,
				    line_cases[i].line);
			} else if (ret == 1) {
				text = received_relay_format(arena, &relay);
				if (strcmp(text, line_cases[i].expected) != 0)
					test_fail(__FILE__, __LINE__,
					    "case %zu (%s): %s\n got  %s\n "
					    "want %s", i, trickle_mode_name(
					    (enum trickle_mode)mode),
					    line_cases[i].line, text,
					    line_cases[i].expected);
			}
			arena_free(&arena);
		}
	}
}

static void
test_relay_fields(void)
{
	struct received_relay relay;
	struct arena *arena = arena_new("test", 0);

	test_require(received_parse_line(arena, STRING_VIEW_LITERAL(
	    "from mail.example.org (IDENT:root@host.example.org "
	    "[192.0.2.1] (may be forged)) by mx.example.net (8.9.3/8.9.3) "
	    "with ESMTP id x55AH9Z; Wed, 5 Jun 2019 12:17:09 +0200"),
	    &relay) == 1);
	test_assert_string(relay.ip, "192.0.2.1");
	test_assert_string(relay.rdns, "host.example.org");
	test_assert_string(relay.helo, "mail.example.org");
	test_assert_string(relay.by, "mx.example.net");
	test_assert_string(relay.ident, "root");
	test_assert_string(relay.id, "x55AH9Z");
	test_assert_string(relay.auth, "");
	test_assert(!relay.ip_private);
	test_assert(!relay.no_reverse_dns);
	test_assert(!relay.trusted && !relay.internal && !relay.msa);

	/* Sendmail looks names up: no rdns means the host has none. */
	test_require(received_parse_line(arena, STRING_VIEW_LITERAL(
	    "from helo.example ([10.1.2.3]) by mx.example.net (8.12.9) with "
	    "ESMTP id h1"), &relay) == 1);
	test_assert_string(relay.rdns, "");
	test_assert(relay.no_reverse_dns);
	test_assert(relay.ip_private);
	arena_free(&arena);
}

/* Parses a message and checks the four pseudo-headers. */
static void
check_message(const char *message_text,
    const struct received_options *options, const char *untrusted,
    const char *trusted, const char *internal, const char *external)
{
	struct received_relay *relays;
	struct received_text text;
	struct message *message;
	struct arena *arena = arena_new("test", 0);
	size_t count;

	message = message_parse(arena, (const unsigned char *)message_text,
	    strlen(message_text), NULL);
	count = received_parse_all(arena, message->header, options, &relays);
	received_format(arena, relays, count, &text);
	test_assert_string(text.untrusted, untrusted);
	test_assert_string(text.trusted, trusted);
	test_assert_string(text.internal, internal);
	test_assert_string(text.external, external);
	arena_free(&arena);
}

#define HOP_INTERNAL                                                     \
	"Received: from int.example.net (int.example.net [10.0.0.5])\r\n" \
	"\tby mx2.example.net (Postfix) with ESMTP id AAA1\r\n"
#define HOP_MX                                                           \
	"Received: from mail.example.org (mail.example.org [192.0.2.1])\r\n" \
	"\tby mx1.example.net (Postfix) with ESMTP id BBB2\r\n"
#define HOP_DIALUP                                                       \
	"Received: from pc (dsl.example.com [198.51.100.7])\r\n"          \
	"\tby mail.example.org (8.12.9/8.12.9) with SMTP id CCC3\r\n"
#define TEXT_INTERNAL(intl)                                               \
	"[ ip=10.0.0.5 rdns=int.example.net helo=int.example.net "        \
	"by=mx2.example.net ident= envfrom= intl=" intl " id=AAA1 auth= "   \
	"msa=0 ]"
#define TEXT_MX(intl, msa)                                                \
	"[ ip=192.0.2.1 rdns=mail.example.org helo=mail.example.org "     \
	"by=mx1.example.net ident= envfrom= intl=" intl " id=BBB2 auth= "   \
	"msa=" msa " ]"
#define TEXT_DIALUP(intl)                                                 \
	"[ ip=198.51.100.7 rdns=dsl.example.com helo=pc "                  \
	"by=mail.example.org ident= envfrom= intl=" intl " id=CCC3 auth= " \
	"msa=0 ]"

static void
test_inferred_trust(void)
{
	/* A private hop stays trusted (and internal); the first public
	 * one ends the chain. */
	check_message(HOP_INTERNAL HOP_MX HOP_DIALUP
	    "Subject: x\r\n\r\nbody\r\n", NULL,
	    TEXT_MX("0", "0") " " TEXT_DIALUP("0"), TEXT_INTERNAL("1"),
	    TEXT_INTERNAL("1"), TEXT_MX("0", "0") " " TEXT_DIALUP("0"));
	/* An authenticated public hop is trusted too. */
	check_message("Received: from pc (dsl.example.com [198.51.100.7])\r\n"
	    "\tby mail.example.org (Postfix) with ESMTPA id DDD4\r\n\r\n",
	    NULL, "", "[ ip=198.51.100.7 rdns=dsl.example.com helo=pc "
	    "by=mail.example.org ident= envfrom= intl=1 id=DDD4 auth=ESMTPA "
	    "msa=0 ]", "[ ip=198.51.100.7 rdns=dsl.example.com helo=pc "
	    "by=mail.example.org ident= envfrom= intl=1 id=DDD4 auth=ESMTPA "
	    "msa=0 ]", "");
	/* No Received field at all. */
	check_message("Subject: x\r\n\r\n", NULL, "", "", "", "");
}

static struct received_network
network(const char *text)
{
	struct received_network net;
	const char *error;

	if (received_network_parse(text, &net, &error) < 0)
		test_fail(__FILE__, __LINE__, "%s: %s", text, error);
	return net;
}

static void
test_configured_networks(void)
{
	struct received_network trusted[2], internal[1], msa[1];
	struct received_options options;

	memset(&options, 0, sizeof(options));
	trusted[0] = network("10.0.0.0/8");
	trusted[1] = network("192.0.2.0/24");
	internal[0] = network("10.");
	/* The MX is trusted but not internal; the dial-up is neither. */
	options.trusted = trusted;
	options.trusted_count = 2;
	options.internal = internal;
	options.internal_count = 1;
	check_message(HOP_INTERNAL HOP_MX HOP_DIALUP "\r\n", &options,
	    TEXT_DIALUP("0"), TEXT_INTERNAL("1") " " TEXT_MX("0", "0"),
	    TEXT_INTERNAL("1"), TEXT_MX("0", "0") " " TEXT_DIALUP("0"));
	/* Trusted only: it serves as internal too. */
	options.internal = NULL;
	options.internal_count = 0;
	check_message(HOP_INTERNAL HOP_MX HOP_DIALUP "\r\n", &options,
	    TEXT_DIALUP("0"), TEXT_INTERNAL("1") " " TEXT_MX("1", "0"),
	    TEXT_INTERNAL("1") " " TEXT_MX("1", "0"), TEXT_DIALUP("0"));
	/* An MSA: the dial-up behind it keeps the MSA's trust. */
	msa[0] = network("192.0.2.1");
	options.msa = msa;
	options.msa_count = 1;
	check_message(HOP_INTERNAL HOP_MX HOP_DIALUP "\r\n", &options, "",
	    TEXT_INTERNAL("1") " " TEXT_MX("1", "1") " " TEXT_DIALUP("1"),
	    TEXT_INTERNAL("1") " " TEXT_MX("1", "1") " " TEXT_DIALUP("1"),
	    "");
	/* An excluded host ahead of its network is not trusted. */
	trusted[0] = network("!10.0.0.5");
	trusted[1] = network("10.0.0.0/8");
	options.msa_count = 0;
	check_message(HOP_INTERNAL HOP_MX "\r\n", &options,
	    TEXT_INTERNAL("0") " " TEXT_MX("0", "0"), "", "",
	    TEXT_INTERNAL("0") " " TEXT_MX("0", "0"));
	/* Originating: the first untrusted hop is taken as an MSA. */
	trusted[0] = network("10.0.0.0/8");
	options.trusted_count = 1;
	options.originating = true;
	check_message(HOP_INTERNAL HOP_MX HOP_DIALUP "\r\n", &options, "",
	    TEXT_INTERNAL("1") " " TEXT_MX("0", "0") " " TEXT_DIALUP("0"),
	    TEXT_INTERNAL("1"), TEXT_MX("0", "0") " " TEXT_DIALUP("0"));
}

#define IP_RELAY "[ ip=203.0.113.9 rdns= helo= by= ident= envfrom= intl=0 " \
	"id= auth= msa=0 ]"

static void
test_originating_headers(void)
{
	static const char *const none[] = { NULL };
	static const char *const custom[] = { "X-Client-IP" };
	struct received_options options;
	const char *message = HOP_MX
	    "X-Originating-IP: [203.0.113.9]\r\n"
	    "X-Client-IP: 2001:db8::7\r\n\r\n";

	check_message(message, NULL, TEXT_MX("0", "0") " " IP_RELAY, "", "",
	    TEXT_MX("0", "0") " " IP_RELAY);
	memset(&options, 0, sizeof(options));
	options.originating_headers = none;
	check_message(message, &options, TEXT_MX("0", "0"), "", "",
	    TEXT_MX("0", "0"));
	options.originating_headers = custom;
	options.originating_header_count = 1;
	check_message(message, &options, TEXT_MX("0", "0") " [ ip=2001:db8::7 "
	    "rdns= helo= by= ident= envfrom= intl=0 id= auth= msa=0 ]", "", "",
	    TEXT_MX("0", "0") " [ ip=2001:db8::7 rdns= helo= by= ident= "
	    "envfrom= intl=0 id= auth= msa=0 ]");
}

static void
test_fetchmail_restart(void)
{
	/* Relays newer than a fetchmail handover are forgotten while the
	 * chain is still trusted. */
	check_message(HOP_INTERNAL
	    "Received: from pop.example.org [127.0.0.1]\r\n"
	    "\tby localhost with POP3 (fetchmail-6.4.0)\r\n" HOP_MX "\r\n",
	    NULL, TEXT_MX("0", "0"), "", "", TEXT_MX("0", "0"));
	/* Past the trusted part, the marker changes nothing. */
	check_message(HOP_MX
	    "Received: from pop.example.org [127.0.0.1]\r\n"
	    "\tby localhost with POP3 (fetchmail-6.4.0)\r\n" HOP_INTERNAL
	    "\r\n", NULL, TEXT_MX("0", "0") " " TEXT_INTERNAL("0"), "", "",
	    TEXT_MX("0", "0") " " TEXT_INTERNAL("0"));
}

static void
test_qmail_scanner(void)
{
	/* qmail-scanner's line hands its envelope sender to the next. */
	check_message("Received: from 192.0.2.1 by mx.example.net "
	    "(envelope-from <bob@example.org>, uid 502) with "
	    "qmail-scanner-1.24 (clamdscan: 0.80/594. Clear:RC:0(192.0.2.1):. "
	    "Processed in 0.288806 secs); 06 Feb 2005 21:11:38 -0000\r\n"
	    "Received: from unknown (HELO mail.example.org) (192.0.2.1)\r\n"
	    "  by mx.example.net with SMTP; 06 Feb 2005 21:11:37 -0000\r\n\r\n",
	    NULL, "[ ip=192.0.2.1 rdns= helo=mail.example.org "
	    "by=mx.example.net ident= envfrom=bob@example.org intl=0 id= "
	    "auth= msa=0 ]", "", "", "[ ip=192.0.2.1 rdns= "
	    "helo=mail.example.org by=mx.example.net ident= "
	    "envfrom=bob@example.org intl=0 id= auth= msa=0 ]");
}

static void
test_network_parse(void)
{
	static const struct {
		const char *text;
		int family;
		unsigned prefix;
		bool exclude;
	} good[] = {
		{ "192.0.2.1", AF_INET, 32, false },
		{ "10.0.0.0/8", AF_INET, 8, false },
		{ "10.1.", AF_INET, 16, false },
		{ "10.1.2.", AF_INET, 24, false },
		{ "!10.0.1.5", AF_INET, 32, true },
		{ "2001:db8::/32", AF_INET6, 32, false },
		{ "[::1]", AF_INET6, 128, false },
		{ "::ffff:10.0.0.0/104", AF_INET6, 104, false },
	};
	static const char *const bad[] = { "", "!", "10.0.0.0/33", "host",
		"1.2.3.4.5.", "10.0.0.0/", "10.0.0.0/x", "::/129",
		"1.2.3.4/-1" };
	struct received_network net;
	const char *error;
	size_t i;

	for (i = 0; i < ARRAY_LENGTH(good); i++) {
		test_assert(received_network_parse(good[i].text, &net,
		    &error) == 0);
		test_assert_int(net.family, good[i].family);
		test_assert_int(net.prefix, good[i].prefix);
		test_assert(net.exclude == good[i].exclude);
	}
	for (i = 0; i < ARRAY_LENGTH(bad); i++) {
		error = NULL;
		if (received_network_parse(bad[i], &net, &error) != -1 ||
		    error == NULL)
			test_fail(__FILE__, __LINE__, "accepted \"%s\"",
			    bad[i]);
	}
}

/* A hostile line (long, and full of what the formats look for) must
 * parse in bounded time. */
static void
test_hostile_line(void)
{
	struct received_relay relay;
	struct buffer line;
	struct arena *arena = arena_new("test", 0);
	clock_t start;
	int i, ret;

	buffer_init(&line, 0);
	test_require(buffer_append_string(&line, "from ") == 0);
	for (i = 0; i < 400; i++)
		test_require(buffer_append_string(&line,
		    "a (b [1.2.3.4] (HELO x) by y (") == 0);
	start = clock();
	ret = received_parse_line(arena, string_view_make(
	    buffer_string(&line), buffer_length(&line)), &relay);
	test_assert(ret == 1 || ret == 0 || ret == -1);
	test_assert((double)(clock() - start) / CLOCKS_PER_SEC < 2.0);
	buffer_deinit(&line);
	arena_free(&arena);
}

int
main(void)
{
	static const struct test_case cases[] = {
		TEST_CASE(test_line_formats),
		TEST_CASE(test_relay_fields),
		TEST_CASE(test_inferred_trust),
		TEST_CASE(test_configured_networks),
		TEST_CASE(test_originating_headers),
		TEST_CASE(test_fetchmail_restart),
		TEST_CASE(test_qmail_scanner),
		TEST_CASE(test_network_parse),
		TEST_CASE(test_hostile_line),
	};

	return test_main(cases, ARRAY_LENGTH(cases));
}
